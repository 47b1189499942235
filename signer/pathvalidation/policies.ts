// valid_policy_tree of RFC 5280 §6.1.2(a), §6.1.3(d)-(e), §6.1.4(b) and §6.1.5(g).
import { OID, PolicyInfo } from './model.js';

const ANY = OID.anyPolicy;

interface PolicyNode {
  valid: string;
  qualifiers?: Uint8Array;
  expected: Set<string>;
  children: PolicyNode[];
  parent?: PolicyNode;
  depth: number;
}

export class PolicyTree {
  private root: PolicyNode | null = { valid: ANY, expected: new Set([ANY]), children: [], depth: 0 };

  get isNull(): boolean {
    return this.root === null;
  }

  private nodesAt(depth: number): PolicyNode[] {
    const out: PolicyNode[] = [];
    const walk = (n: PolicyNode) => {
      if (n.depth === depth) out.push(n);
      else n.children.forEach(walk);
    };
    if (this.root) walk(this.root);
    return out;
  }

  private allNodes(): PolicyNode[] {
    const out: PolicyNode[] = [];
    const walk = (n: PolicyNode) => {
      out.push(n);
      n.children.forEach(walk);
    };
    if (this.root) walk(this.root);
    return out;
  }

  private addChild(parent: PolicyNode, valid: string, expected: Set<string>, qualifiers?: Uint8Array): void {
    parent.children.push({ valid, expected, qualifiers, children: [], parent, depth: parent.depth + 1 });
  }

  private remove(n: PolicyNode): void {
    if (!n.parent) this.root = null;
    else n.parent.children = n.parent.children.filter((c) => c !== n);
  }

  /** Delete childless nodes at depth < `depth`, bottom-up, so dead branches disappear. */
  private prune(depth: number): void {
    for (let d = depth - 1; d >= 0 && this.root; d--) {
      for (const n of this.nodesAt(d)) if (n.children.length === 0) this.remove(n);
    }
  }

  /** §6.1.3(d)/(e) for certificate i; `anyPolicyAllowed` = inhibit_anyPolicy > 0, or i < n and self-issued. */
  processCertificate(i: number, policies: PolicyInfo[] | undefined, anyPolicyAllowed: boolean): void {
    if (!this.root) return;
    if (!policies) {
      this.root = null;
      return;
    }
    const parents = this.nodesAt(i - 1);
    for (const p of policies) {
      if (p.oid === ANY) continue;
      const matched = parents.filter((n) => n.expected.has(p.oid));
      const targets = matched.length > 0 ? matched : parents.filter((n) => n.valid === ANY);
      for (const n of targets) this.addChild(n, p.oid, new Set([p.oid]), p.qualifiers);
    }
    const any = policies.find((p) => p.oid === ANY);
    if (any && anyPolicyAllowed) {
      for (const n of parents) {
        const present = new Set(n.children.map((c) => c.valid));
        for (const e of n.expected) if (!present.has(e)) this.addChild(n, e, new Set([e]), any.qualifiers);
      }
    }
    this.prune(i);
  }

  /** §6.1.4(b): apply the policyMappings of certificate i. */
  applyMappings(i: number, mappings: { issuer: string; subject: string }[], mappingAllowed: boolean): void {
    if (!this.root) return;
    const byIssuer = new Map<string, Set<string>>();
    for (const m of mappings) byIssuer.set(m.issuer, (byIssuer.get(m.issuer) ?? new Set()).add(m.subject));
    for (const [idp, subjects] of byIssuer) {
      const nodes = this.nodesAt(i);
      const hits = nodes.filter((n) => n.valid === idp);
      if (mappingAllowed) {
        if (hits.length > 0) for (const n of hits) n.expected = new Set(subjects);
        else {
          const anyNode = nodes.find((n) => n.valid === ANY);
          if (anyNode?.parent) this.addChild(anyNode.parent, idp, new Set(subjects), anyNode.qualifiers);
        }
      } else {
        for (const n of hits) this.remove(n);
        this.prune(i);
        if (!this.root) return;
      }
    }
  }

  /** §6.1.5(g)(iii): intersect with the user-initial-policy-set. */
  intersect(n: number, userSet: string[]): void {
    if (!this.root || userSet.includes(ANY)) return;
    const wanted = new Set(userSet);
    const nodeSet = this.allNodes().filter((x) => x.parent?.valid === ANY);
    for (const x of nodeSet) if (x.valid !== ANY && !wanted.has(x.valid)) this.remove(x);
    const anyLeaf = this.nodesAt(n).find((x) => x.valid === ANY);
    if (anyLeaf?.parent) {
      const have = new Set(
        this.allNodes()
          .filter((x) => x.parent?.valid === ANY)
          .map((x) => x.valid),
      );
      for (const p of wanted)
        if (!have.has(p)) this.addChild(anyLeaf.parent, p, new Set([p]), anyLeaf.qualifiers);
      this.remove(anyLeaf);
    }
    this.prune(n);
  }

  /**
   * Authorities-constrained policy set, expressed in the trust anchor's policy domain: the first
   * non-anyPolicy node of each branch (mappings below it do not change what the anchor vouches for),
   * plus anyPolicy when an all-anyPolicy branch reaches the leaf. Call before intersect().
   */
  authoritiesConstrained(n: number): string[] {
    const out = new Set<string>();
    for (const x of this.allNodes()) if (x.valid !== ANY && x.parent?.valid === ANY) out.add(x.valid);
    if (this.nodesAt(n).some((x) => x.valid === ANY)) out.add(ANY);
    return [...out];
  }
}
