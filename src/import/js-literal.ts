/**
 * Reads a JavaScript object literal as data, without executing anything: objects (identifier or
 * string keys), arrays, strings, numbers, true/false/null and the minifier's `!0` / `!1`. Used for
 * the model JSON that nsfwjs ships inside minified UMD modules.
 */
import { fail } from '../errors.js';

export interface Literal {
  readonly value: unknown;
  /** index just past the literal */
  readonly end: number;
}

/** Parses the literal starting at `start` (whitespace allowed before it). */
export function parseJsLiteral(text: string, start: number, what: string): Literal {
  let i = start;
  const bad = (msg: string): never => fail('MODEL_FORMAT', `${what}: ${msg} at offset ${i}.`);
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const str = (): string => {
    const q = text[i++]!;
    let out = '';
    while (i < text.length && text[i] !== q) {
      if (text[i] !== '\\') {
        out += text[i++];
        continue;
      }
      const c = text[i + 1]!;
      i += 2;
      if (c === 'u') {
        out += String.fromCharCode(parseInt(text.slice(i, i + 4), 16));
        i += 4;
      } else if (c === 'x') {
        out += String.fromCharCode(parseInt(text.slice(i, i + 2), 16));
        i += 2;
      } else {
        out += ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' } as Record<string, string>)[c] ?? c;
      }
    }
    if (i >= text.length) bad('unterminated string');
    i++;
    return out;
  };
  const value = (depth: number): unknown => {
    if (depth > 200) bad('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      while (text[i] !== '}') {
        let key: string;
        if (text[i] === '"' || text[i] === "'") key = str();
        else {
          const m = /^[A-Za-z_$][\w$]*|^\d+/.exec(text.slice(i, i + 256));
          if (!m) return bad('expected a key');
          key = m[0];
          i += key.length;
        }
        ws();
        if (text[i++] !== ':') bad("expected ':'");
        Object.defineProperty(obj, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') bad("expected ',' or '}'");
        ws();
      }
      i++;
      return obj;
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      while (text[i] !== ']') {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== ']') bad("expected ',' or ']'");
        ws();
      }
      i++;
      return arr;
    }
    if (c === '"' || c === "'") return str();
    for (const [tok, v] of [['!0', true], ['!1', false], ['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(tok, i)) {
        i += tok.length;
        return v;
      }
    }
    const m = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 64));
    if (!m) return bad('unexpected character');
    i += m[0].length;
    return Number(m[0]);
  };
  const v = value(0);
  return { value: v, end: i };
}
