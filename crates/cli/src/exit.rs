//! How `runnel` ends: its exit codes (0 is a complete answer), which the commands return and
//! scripts read.

/// Exit code for an error.
pub const EXIT_ERROR: u8 = 1;
/// Exit code for bad usage (an unknown provider, a bad base URL, an empty prompt).
pub const EXIT_USAGE: u8 = 2;
/// Exit code for a stream that ended before its terminator.
pub const EXIT_INCOMPLETE: u8 = 3;
/// Exit code after Ctrl-C stopped the answer.
pub const EXIT_STOPPED: u8 = 130;
