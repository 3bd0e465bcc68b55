/**
 * How every package prints a bad value in an error message: strings quoted, bigints with `n`,
 * small plain objects and arrays as JSON, class instances by class name, functions by name.
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
    case 'bigint':
      return `${value}n`;
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'function':
      return value.name ? `function ${value.name}` : 'a function';
    case 'symbol':
      return value.toString();
    case 'object':
      return value === null ? 'null' : describeObject(value);
    default:
      return String(value);
  }
}

function describeObject(value: object): string {
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null && !Array.isArray(value)) {
    const name = (proto as { constructor?: { name?: string } }).constructor?.name;
    return name ? `an instance of ${name}` : 'an object';
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? `${v}n` : v));
  } catch {
    // Cycles: fall through to the generic word.
  }
  if (json === undefined) return Array.isArray(value) ? 'an array' : 'an object';
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}
