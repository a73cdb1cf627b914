// Finds where a key path sits in the YAML source, so every problem can name a line and column.
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import type { KeyPath } from './errors.js';

export interface Position {
  line: number;
  col: number;
}

export interface Located {
  position: Position;
  /** False when the path leads past the document (a missing key): the position is the deepest existing parent. */
  exact: boolean;
}

type AnyNode = Node | null | undefined;

const keyText = (key: unknown): string | undefined =>
  isScalar(key) ? String(key.value) : typeof key === 'string' || typeof key === 'number' ? String(key) : undefined;

export class SourceLocator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** 1-based position of a byte offset in the source. */
  positionOf(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }

  /**
   * Position of the node at `path`: its value, or with `at: 'key'` the key naming it.
   * A path that does not exist resolves to the mapping that should have held it.
   */
  locate(path: KeyPath, at: 'value' | 'key' = 'value'): Located {
    let node: AnyNode = this.doc.contents as AnyNode;
    let pair: Pair | undefined;
    let lastWithRange: AnyNode = node;
    for (const segment of path) {
      node = this.resolve(node);
      const next = this.child(node, segment);
      if (!next) return { position: this.nodePosition(lastWithRange, pair), exact: false };
      pair = next.pair;
      node = next.node;
      if (node?.range) lastWithRange = node;
    }
    if (at === 'key' && isNode(pair?.key)) return { position: this.nodePosition(pair.key as Node, undefined), exact: true };
    return { position: this.nodePosition(node?.range ? node : undefined, pair), exact: true };
  }

  private resolve(node: AnyNode): AnyNode {
    return isAlias(node) ? (node.resolve(this.doc) as AnyNode) : node;
  }

  private child(node: AnyNode, segment: string | number): { node: AnyNode; pair?: Pair } | undefined {
    if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      return item === undefined ? undefined : { node: item as AnyNode };
    }
    if (!isMap(node)) return undefined;
    const wanted = String(segment);
    for (const item of node.items) {
      if (isPair(item) && keyText(item.key) === wanted) return { node: item.value as AnyNode, pair: item as Pair };
    }
    // A key brought in by a merge (`<<: *base`) lives in the merged mapping.
    for (const item of node.items) {
      if (!isPair(item) || keyText(item.key) !== '<<') continue;
      const sources = isSeq(item.value) ? item.value.items : [item.value];
      for (const source of sources) {
        const found = this.child(this.resolve(source as AnyNode), segment);
        if (found) return found;
      }
    }
    return undefined;
  }

  private nodePosition(node: AnyNode, pair: Pair | undefined): Position {
    if (node?.range) return this.positionOf(node.range[0]);
    if (isNode(pair?.key) && (pair.key as Node).range) return this.positionOf((pair.key as Node).range![0]);
    return { line: 1, col: 1 };
  }
}
