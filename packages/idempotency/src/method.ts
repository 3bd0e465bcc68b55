// HTTP parsers hand methods over upper-case already, and toUpperCase copies a string even when
// nothing changes: this returns the string itself when no letter needs changing.

/** `method` in upper case; the same string when it already is. */
export function upperCaseMethod(method: string): string {
  for (let i = 0; i < method.length; i++) {
    const c = method.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || c > 0x7f) return method.toUpperCase();
  }
  return method;
}
