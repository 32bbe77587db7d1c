// D-Bus type signatures ("ia(iay)") parsed into a tree of types, checked against the specification's limits.
import { DBusWireError } from './dbus-errors.js';

export type DBusType =
  | { code: BasicCode }
  | { code: 'a'; element: DBusType }
  | { code: '('; fields: DBusType[] }
  | { code: '{'; key: DBusType; value: DBusType }
  | { code: 'v' };

export type BasicCode = 'y' | 'b' | 'n' | 'q' | 'i' | 'u' | 'x' | 't' | 'd' | 'h' | 's' | 'o' | 'g';

const BASIC = new Set<string>(['y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd', 'h', 's', 'o', 'g']);
const MAX_SIGNATURE = 255;
/** The specification's nesting limits: 32 arrays and 32 structures deep at most. */
const MAX_DEPTH = 32;

/** The boundary each type's value starts on. */
export function alignmentOf(type: DBusType): number {
  switch (type.code) {
    case 'y':
    case 'g':
    case 'v':
      return 1;
    case 'n':
    case 'q':
      return 2;
    case 'x':
    case 't':
    case 'd':
    case '(':
    case '{':
      return 8;
    default:
      return 4;
  }
}

/** The complete types a signature lists, in order. */
export function parseSignature(signature: string): DBusType[] {
  if (signature.length > MAX_SIGNATURE) throw new DBusWireError(`signature longer than ${MAX_SIGNATURE}`);
  const types: DBusType[] = [];
  let at = 0;
  while (at < signature.length) {
    const [type, next] = parseOne(signature, at, 0, 0);
    types.push(type);
    at = next;
  }
  return types;
}

/** A signature that must be exactly one complete type, as a variant's is. */
export function parseSingle(signature: string): DBusType {
  const types = parseSignature(signature);
  if (types.length !== 1) throw new DBusWireError(`a variant's signature must be one type: "${signature}"`);
  return types[0];
}

function parseOne(sig: string, at: number, arrays: number, structs: number): [DBusType, number] {
  const c = sig[at];
  if (c === undefined) throw new DBusWireError(`signature "${sig}" ends inside a type`);
  if (BASIC.has(c)) return [{ code: c as BasicCode }, at + 1];
  if (c === 'v') return [{ code: 'v' }, at + 1];
  if (c === 'a') {
    if (arrays >= MAX_DEPTH) throw new DBusWireError('arrays nested too deeply');
    if (sig[at + 1] === '{') {
      if (structs >= MAX_DEPTH) throw new DBusWireError('structures nested too deeply');
      const [key, afterKey] = parseOne(sig, at + 2, arrays + 1, structs + 1);
      if (!BASIC.has(key.code)) throw new DBusWireError(`a dictionary key must be a basic type in "${sig}"`);
      const [value, afterValue] = parseOne(sig, afterKey, arrays + 1, structs + 1);
      if (sig[afterValue] !== '}') throw new DBusWireError(`unclosed dictionary entry in "${sig}"`);
      return [{ code: 'a', element: { code: '{', key, value } }, afterValue + 1];
    }
    const [element, next] = parseOne(sig, at + 1, arrays + 1, structs);
    return [{ code: 'a', element }, next];
  }
  if (c === '(') {
    if (structs >= MAX_DEPTH) throw new DBusWireError('structures nested too deeply');
    const fields: DBusType[] = [];
    let next = at + 1;
    while (sig[next] !== ')') {
      if (next >= sig.length) throw new DBusWireError(`unclosed structure in "${sig}"`);
      const [field, after] = parseOne(sig, next, arrays, structs + 1);
      fields.push(field);
      next = after;
    }
    if (!fields.length) throw new DBusWireError(`empty structure in "${sig}"`);
    return [{ code: '(', fields }, next + 1];
  }
  throw new DBusWireError(`unknown type code ${JSON.stringify(c)} in signature "${sig}"`);
}
