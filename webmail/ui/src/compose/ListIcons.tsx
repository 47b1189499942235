/** Toolbar pictures for the two kinds of list, drawn here; decorative (the buttons carry the words). */
export function BulletListIcon() {
  return (
    <svg className="icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
      {[3, 8, 13].map((y) => (
        <g key={y}>
          <circle cx="2.5" cy={y} r="1.4" fill="currentColor" />
          <path d={`M6 ${y}h9`} stroke="currentColor" strokeWidth="1.6" />
        </g>
      ))}
    </svg>
  );
}

export function NumberedListIcon() {
  return (
    <svg className="icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
      <path d="M2.5 1.5v4M1.5 2.5l1-1" stroke="currentColor" strokeWidth="1.2" fill="none" />
      <path d="M1.3 9.2q1.2-1.4 2.2 0t-2.2 3h2.4" stroke="currentColor" strokeWidth="1.1" fill="none" />
      {[3.5, 10.5].map((y) => (
        <path key={y} d={`M6 ${y}h9`} stroke="currentColor" strokeWidth="1.6" />
      ))}
      <path d="M6 14.5h9" stroke="currentColor" strokeWidth="1.6" />
    </svg>
  );
}
