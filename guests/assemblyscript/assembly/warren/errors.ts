// Error codes as names, and the check that turns an unexpected one into a
// thrown error (which ends the process with the message as its reason).

import * as c from "./codes";

/** The name of an error code (`ERR_LIMIT`), or `OK`, or the number. */
export function errorName(code: i64): string {
  switch (<i32>code) {
    case c.OK: return "OK";
    case c.ERR_BADARG: return "ERR_BADARG";
    case c.ERR_NO_SUCH_EXPORT: return "ERR_NO_SUCH_EXPORT";
    case c.ERR_NO_SUCH_MODULE: return "ERR_NO_SUCH_MODULE";
    case c.ERR_NOT_PERMITTED: return "ERR_NOT_PERMITTED";
    case c.ERR_LIMIT: return "ERR_LIMIT";
    case c.ERR_TIMEOUT: return "ERR_TIMEOUT";
    case c.ERR_NO_MESSAGE: return "ERR_NO_MESSAGE";
    case c.ERR_NO_SUCH_TABLE: return "ERR_NO_SUCH_TABLE";
    case c.ERR_ACCESS: return "ERR_ACCESS";
    case c.ERR_WRONG_TYPE: return "ERR_WRONG_TYPE";
    case c.ERR_TABLE_NAME_TAKEN: return "ERR_TABLE_NAME_TAKEN";
    case c.ERR_NOT_FOUND: return "ERR_NOT_FOUND";
    case c.ERR_NOT_A_COUNTER: return "ERR_NOT_A_COUNTER";
    case c.ERR_OVERFLOW: return "ERR_OVERFLOW";
    case c.ERR_TABLE_FULL: return "ERR_TABLE_FULL";
    case c.ERR_KEY_TOO_LARGE: return "ERR_KEY_TOO_LARGE";
    case c.ERR_VALUE_TOO_LARGE: return "ERR_VALUE_TOO_LARGE";
    case c.ERR_NOT_ALIVE: return "ERR_NOT_ALIVE";
    case c.ERR_NO_RESULT: return "ERR_NO_RESULT";
    case c.ERR_NAME_TAKEN: return "ERR_NAME_TAKEN";
    case c.ERR_NO_SUCH_NAME: return "ERR_NO_SUCH_NAME";
    case c.ERR_ALREADY_NAMED: return "ERR_ALREADY_NAMED";
    case c.ERR_NOPROC: return "ERR_NOPROC";
    case c.ERR_NO_SUCH_TIMER: return "ERR_NO_SUCH_TIMER";
    case c.ERR_CANNOT_HIBERNATE: return "ERR_CANNOT_HIBERNATE";
    case c.ERR_ALREADY_PRESENT: return "ERR_ALREADY_PRESENT";
    case c.ERR_ALREADY_STARTED: return "ERR_ALREADY_STARTED";
    case c.ERR_RUNNING: return "ERR_RUNNING";
    case c.ERR_START_FAILED: return "ERR_START_FAILED";
    case c.ERR_EXITED: return "ERR_EXITED";
    default: return "error " + code.toString();
  }
}

/** `code` when it is not an error (>= 0); else throws `what: ERR_...`. */
export function check(code: i64, what: string): i64 {
  if (code < 0) throw new Error(what + ": " + errorName(code));
  return code;
}
