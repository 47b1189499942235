import { useId, type CSSProperties } from 'react';
import { useElementWidth } from './size';

/**
 * Small SVG bar charts drawn by hand (antd has none, and a charting package is not worth its weight
 * for two charts). Horizontal grouped bars: one group per category, one bar per series, the value
 * written at the end of every bar, so nothing depends on reading colours or a scale.
 *
 * Accessibility: the <svg> is one image (role="img") whose aria-label says every value in words;
 * bar colours reach at least 4.5:1 against white (WCAG asks 3:1 for graphics); series that differ
 * only in kind (internal / external) also differ in fill (solid / hatched), for readers who do not
 * tell the colours apart.
 */
export interface BarSeries {
  key: string;
  label: string;
  color: string;
  hatched?: boolean;
  values: number[];
}

export interface BarChartProps {
  title: string;
  categories: Array<{ key: string; label: string }>;
  series: BarSeries[];
  /** the title of the value axis */
  axisLabel: string;
  format?: (n: number) => string;
  testId?: string;
}

/** Dark enough on white for text-size marks as well as bars. */
export const CHART_COLORS = {
  blue: '#1e40af', // 8.7:1
  brown: '#9a3412', // 7.3:1
  green: '#047857', // 5.5:1
  slate: '#475569', // 7.6:1
} as const;

/** The chart is drawn at the width it is given (text stays at its real size), within these bounds. */
const MIN_WIDTH = 320;
const MAX_WIDTH = 960;
/** Room for category labels: as much as the longest needs (about 7.5 px a character at 12 px, and a margin), at most this. */
const MAX_LABEL_WIDTH = 180;
const LABEL_CHARS = 28;
const VALUE_ROOM = 64;
const BAR = 14;
const BAR_GAP = 3;
const GROUP_GAP = 14;
const TOP = 8;
const TEXT = '#1f1f1f';
const MUTED = '#595959';

/** 1, 2 or 5 times a power of ten, at least x. */
function niceStep(x: number): number {
  if (x <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= x)!;
}

export function scaleTicks(max: number, wanted = 4): number[] {
  const step = Math.max(1, niceStep(max / wanted));
  const top = Math.max(step, Math.ceil(max / step) * step);
  return Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
}

function shorten(text: string, max = LABEL_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const swatch = (s: Pick<BarSeries, 'color' | 'hatched'>): CSSProperties => ({
  display: 'inline-block',
  width: 14,
  height: 14,
  marginRight: 6,
  verticalAlign: 'middle',
  border: `1px solid ${s.color}`,
  background: s.hatched ? `repeating-linear-gradient(45deg, ${s.color} 0 4px, #fff 4px 6px)` : s.color,
});

export function BarChart({ title, categories, series, axisLabel, format = String, testId }: BarChartProps) {
  const uid = useId().replace(/[^a-zA-Z0-9_-]/g, '');
  const [ref, available] = useElementWidth<HTMLElement>(720);
  const chartWidth = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, available));
  const max = Math.max(0, ...series.flatMap((s) => s.values));
  const ticks = scaleTicks(max);
  const top = ticks[ticks.length - 1];
  const labelWidth = Math.min(MAX_LABEL_WIDTH, Math.max(48, ...categories.map((c) => Math.ceil(shorten(c.label).length * 7.5) + 8)));
  const plotX = labelWidth + 10;
  const plotW = chartWidth - plotX - VALUE_ROOM;
  const x = (v: number) => plotX + (v / top) * plotW;
  const groupH = series.length * (BAR + BAR_GAP) - BAR_GAP;
  const plotH = Math.max(groupH, categories.length * (groupH + GROUP_GAP) - GROUP_GAP);
  const axisY = TOP + plotH + 6;
  const height = axisY + 44;
  const label = `${title}. ${categories
    .map((c, i) => `${c.label}: ${series.map((s) => `${s.label} ${format(s.values[i] ?? 0)}`).join(', ')}`)
    .join('; ')}.`;

  return (
    <figure ref={ref} style={{ margin: 0 }} data-testid={testId}>
      <figcaption style={{ fontWeight: 600, marginBottom: 8 }}>{title}</figcaption>
      <ul style={{ listStyle: 'none', padding: 0, margin: '0 0 8px', display: 'flex', flexWrap: 'wrap', gap: '4px 16px' }}>
        {series.map((s) => (
          <li key={s.key} style={{ color: TEXT }}>
            <span aria-hidden="true" style={swatch(s)} />
            {s.label}
          </li>
        ))}
      </ul>
      <svg role="img" aria-label={label} viewBox={`0 0 ${chartWidth} ${height}`} width={chartWidth} height={height} style={{ display: 'block', maxWidth: '100%', height: 'auto' }} fontFamily="inherit">
        <title>{title}</title>
        <defs>
          {series
            .filter((s) => s.hatched)
            .map((s) => (
              <pattern key={s.key} id={`${uid}-${s.key}`} patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">
                <rect width="6" height="6" fill={s.color} />
                <rect width="2" height="6" fill="#fff" />
              </pattern>
            ))}
        </defs>
        {ticks.map((v) => (
          <g key={v}>
            <line x1={x(v)} x2={x(v)} y1={TOP - 4} y2={axisY} stroke={v === 0 ? MUTED : '#d9d9d9'} />
            <text x={x(v)} y={axisY + 16} textAnchor="middle" fontSize="12" fill={MUTED}>
              {format(v)}
            </text>
          </g>
        ))}
        <line x1={plotX} x2={plotX + plotW} y1={axisY} y2={axisY} stroke={MUTED} />
        <text x={plotX + plotW / 2} y={axisY + 36} textAnchor="middle" fontSize="12" fill={TEXT}>
          {axisLabel}
        </text>
        {categories.map((c, i) => {
          const y0 = TOP + i * (groupH + GROUP_GAP);
          return (
            <g key={c.key} data-category={c.key}>
              <text x={labelWidth} y={y0 + groupH / 2} textAnchor="end" dominantBaseline="central" fontSize="12" fill={TEXT}>
                <title>{c.label}</title>
                {shorten(c.label)}
              </text>
              {series.map((s, j) => {
                const v = s.values[i] ?? 0;
                const y = y0 + j * (BAR + BAR_GAP);
                const w = x(v) - plotX;
                return (
                  <g key={s.key}>
                    <rect
                      x={plotX}
                      y={y}
                      width={w}
                      height={BAR}
                      fill={s.hatched ? `url(#${uid}-${s.key})` : s.color}
                      stroke={w > 0 ? s.color : 'none'}
                      data-category={c.key}
                      data-series={s.key}
                      data-value={v}
                    >
                      <title>{`${c.label} — ${s.label}: ${format(v)}`}</title>
                    </rect>
                    <text x={plotX + w + 4} y={y + BAR / 2} dominantBaseline="central" fontSize="11" fill={TEXT} data-category={c.key} data-series={s.key}>
                      {format(v)}
                    </text>
                  </g>
                );
              })}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
