//! Logging at the C edge: the output hook C logs end in (`anj_log_handler_output`, from
//! `anj/compat/log_impl_decls.h`) receives the lines of the Rust code too.
//!
//! Filtering, levels, the line format (full and micro) and the micro-log file IDs are the
//! core's (`anj_core::log`). The C face's own statements ([`crate::anj_log!`]) are formatted
//! the same way and go straight to the hook; the core's go through the sink that
//! [`install_core_sink`] installs, which calls the same hook.

#[cfg(any(feature = "log-full", feature = "log-micro"))]
use core::fmt;

#[cfg(any(feature = "log-full", feature = "log-micro"))]
use anj_core::log::{format_line, Level};

/// The output hook of `anj/compat/log_impl_decls.h`, which declares it for C (hence
/// hidden from cbindgen): defined by `src/c/log.c` (stderr) or by the integrator.
/// cbindgen:ignore
#[allow(unused_doc_comments)] // the annotation above is for cbindgen, not rustdoc
#[cfg(any(feature = "log-full", feature = "log-micro"))]
extern "C" {
    fn anj_log_handler_output(output: *const core::ffi::c_char, len: usize);
}

/// Hands one NUL-terminated line to the C hook.
#[cfg(any(feature = "log-full", feature = "log-micro"))]
fn output(line_with_nul: &[u8]) {
    let Some((0, text)) = line_with_nul.split_last() else {
        return;
    };
    // SAFETY: `line_with_nul` is `text` followed by a NUL byte (checked above), alive for
    // the whole call; the hook only reads `text.len()` bytes and the terminator.
    unsafe { anj_log_handler_output(text.as_ptr().cast(), text.len()) }
}

/// Makes the core's log lines reach the C hook. Called by every C entry point that
/// starts a component (`anj_core_init`, the downloader's and NTP's init); idempotent.
pub fn install_core_sink() {
    #[cfg(any(feature = "log-full", feature = "log-micro"))]
    anj_core::log::set_sink(output);
}

/// Formats and outputs one line of the C face; the expansion of [`crate::anj_log!`] calls
/// this. Kept out of line so that each log statement costs only a call.
#[cfg(any(feature = "log-full", feature = "log-micro"))]
#[doc(hidden)]
#[cold]
#[inline(never)]
pub fn emit(
    level: Level,
    module: &str,
    file: &str,
    file_id: u16,
    line: u32,
    args: fmt::Arguments<'_>,
) {
    let mut buf = [0u8; crate::config::LOG_FORMATTER_BUF_SIZE];
    let len = format_line(&mut buf, level, module, file, file_id, line, args);
    if let Some(line) = buf.get(..=len) {
        output(line);
    }
}
