//! Logging: compile-time filtered statements, formatted into a stack buffer and handed to
//! a [`Sink`] (the C face's sink is the same output hook C logs use, `anj/log.h`).
//!
//! C code logs with the `anj_log(module, L_LEVEL, "printf format", ...)` macro of the
//! hand-written `include/anj/log.h`; the variadic handlers behind it are in `src/c/log.c`
//! (stable Rust cannot define C-variadic functions). Rust code uses [`anj_log!`]:
//!
//! ```ignore
//! crate::anj_log!(exchange, L_DEBUG, "retransmission {} of {}", n, max);
//! ```
//!
//! The macro is `#[macro_export]`ed, so its path is `crate::anj_log!` inside the crate
//! and `anj::anj_log!` outside. The line is formatted with `core::fmt` into a stack buffer
//! of `ANJ_LOG_FORMATTER_BUF_SIZE` bytes (longer lines are cut) and handed, NUL-terminated,
//! to `anj_log_handler_output()`, the hook C logs end in (the library's stderr writer or
//! the integrator's own). Line format, as for C logs:
//!
//! * `ANJ_LOG_FULL`:  `LEVEL [module] [file:line]: message`
//! * `ANJ_LOG_MICRO`: `LEVEL <ANJ_uLOG>file_id;line</ANJ_uLOG> message`, as C logs in
//!   that mode, so that Anjay Lite's `micro_logs_decode.py` decodes them. A Rust file's ID
//!   is its entry in [`MICRO_LOG_FILE_IDS`] (looked up at compile time; file names stay out
//!   of the binary), which `tools/micro-log-ids/<file>.h` repeats as
//!   `#define ANJ_LOG_SOURCE_FILE_ID <id>` for the decoder (it reads C sources only).
//!
//! Filtering happens at compile time, like in C: a statement is kept only if its level is
//! at least the module's level, which is `ANJ_LOG_LEVEL_FOR_MODULE_<module>` or else
//! `ANJ_LOG_LEVEL_DEFAULT` (`L_INFO` if unset), both read from the environment when the
//! crate is compiled (the values are level names such as `L_TRACE`; `L_MUTED` silences).
//! With neither `log-full` nor `log-micro` enabled the macro expands to nothing that
//! survives compilation (the arguments are still type-checked).

use core::fmt;

/// Level of a Rust log statement. Mirrors the C log level enum of
/// `anj/compat/log_impl_decls.h`, which is written by hand there (the C log handler is
/// built before any generated header exists), so this is deliberately not `repr(C)`.
/// cbindgen:ignore
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warning,
    Error,
    Muted,
}

impl Level {
    /// The name printed at the start of a log line.
    pub const fn name(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
            Level::Muted => "MUTED",
        }
    }

    /// Parses a level name as written in the C configuration (`L_INFO`, ...).
    pub const fn from_config_name(name: &str) -> Option<Level> {
        const NAMES: [(&str, Level); 6] = [
            ("L_TRACE", Level::Trace),
            ("L_DEBUG", Level::Debug),
            ("L_INFO", Level::Info),
            ("L_WARNING", Level::Warning),
            ("L_ERROR", Level::Error),
            ("L_MUTED", Level::Muted),
        ];
        let mut i = 0;
        while i < NAMES.len() {
            if const_str_eq(NAMES[i].0, name) {
                return Some(NAMES[i].1);
            }
            i += 1;
        }
        None
    }
}

const fn const_str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The level of modules without their own setting.
/// cbindgen:ignore
pub const DEFAULT_LEVEL: Level = match option_env!("ANJ_LOG_LEVEL_DEFAULT") {
    Some(name) => match Level::from_config_name(name) {
        Some(level) => level,
        None => Level::Info,
    },
    None => Level::Info,
};

/// The level of a module given its `ANJ_LOG_LEVEL_FOR_MODULE_<module>` setting.
#[doc(hidden)]
pub const fn module_level(setting: Option<&str>) -> Level {
    match setting {
        Some(name) => match Level::from_config_name(name) {
            Some(level) => level,
            None => DEFAULT_LEVEL,
        },
        None => DEFAULT_LEVEL,
    }
}

/// Whether a statement of `level` in a module set to `module_level` is kept.
#[doc(hidden)]
pub const fn allowed(level: Level, module_level: Level) -> bool {
    !matches!(level, Level::Muted)
        && !matches!(module_level, Level::Muted)
        && level as u8 >= module_level as u8
}

/// A `fmt::Write` that keeps what fits in the buffer and silently drops the rest.
struct Truncating<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl fmt::Write for Truncating<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len().saturating_sub(self.len);
        let take = s.len().min(room);
        if let (Some(dst), Some(src)) = (
            self.buf.get_mut(self.len..self.len + take),
            s.as_bytes().get(..take),
        ) {
            dst.copy_from_slice(src);
            self.len += take;
        }
        Ok(())
    }
}

/// The micro-log file IDs of the library's Rust files that log (1001 on, clear of the IDs
/// applications and Anjay Lite use). Each has `tools/micro-log-ids/<file>.h`; a unit test
/// checks both ways.
pub const MICRO_LOG_FILE_IDS: &[(&str, u16)] = &[
    ("anj-core/src/client/bootstrap.rs", 1001),
    ("anj-core/src/client/mod.rs", 1002),
    ("anj-core/src/client/notify.rs", 1003),
    ("anj-core/src/client/register.rs", 1004),
    ("anj-core/src/client/requests.rs", 1005),
    ("anj-core/src/objects/fw_update.rs", 1006),
    ("anj-core/src/download/mod.rs", 1007),
    ("src/driver.rs", 1008),
    ("src/ffi/coap_downloader.rs", 1009),
    ("src/ffi/core.rs", 1010),
    ("src/ffi/fw_update.rs", 1011),
    ("src/ffi/ntp.rs", 1012),
    ("src/ffi/objects.rs", 1013),
    ("src/ffi/persistence.rs", 1014),
    ("src/ffi/security.rs", 1015),
    ("src/ffi/send.rs", 1016),
    ("anj-core/src/ntp/mod.rs", 1017),
    ("anj-core/src/observe/mod.rs", 1018),
    ("src/platform/dtls_mbedtls.rs", 1019),
    ("src/platform/dtls_unavailable.rs", 1020),
    ("anj-core/src/send/mod.rs", 1021),
    ("anj-core/src/persist/mod.rs", 1030),
];

/// The micro-log ID of `file` (a `file!()` path), 0 if it has none. A `const fn`, so the
/// log macro evaluates it at compile time. `file!()` is relative to the workspace root
/// when anj-rs is built as its own workspace, and longer when it is a dependency of
/// another, so a table entry matches the whole path or its end after a `/`.
pub const fn micro_file_id(file: &str) -> u16 {
    let f = file.as_bytes();
    let mut i = 0;
    while i < MICRO_LOG_FILE_IDS.len() {
        let (name, id) = MICRO_LOG_FILE_IDS[i];
        let n = name.as_bytes();
        if n.len() <= f.len() {
            let off = f.len() - n.len();
            let mut k = 0;
            while k < n.len() && n[k] == f[off + k] {
                k += 1;
            }
            if k == n.len() && (off == 0 || f[off - 1] == b'/') {
                return id;
            }
        }
        i += 1;
    }
    0
}

/// Formats one log line into `buf` and NUL-terminates it; returns the line's length
/// (without the NUL). `file` empty selects the micro header, with `file_id`. A line that does not
/// fit is cut; a zero-length `buf` gives 0.
pub fn format_line(
    buf: &mut [u8],
    level: Level,
    module: &str,
    file: &str,
    file_id: u16,
    line: u32,
    args: fmt::Arguments<'_>,
) -> usize {
    let Some(text_room) = buf.len().checked_sub(1) else {
        return 0;
    };
    let mut w = Truncating {
        buf: buf.get_mut(..text_room).unwrap_or(&mut []),
        len: 0,
    };
    // Truncating never fails, so the results carry no information.
    let _ = if file.is_empty() {
        fmt::write(
            &mut w,
            format_args!(
                "{} <ANJ_uLOG>{};{}</ANJ_uLOG> ",
                level.name(),
                file_id,
                line
            ),
        )
    } else {
        fmt::write(
            &mut w,
            format_args!("{} [{}] [{}:{}]: ", level.name(), module, file, line),
        )
    };
    let _ = fmt::write(&mut w, args);
    let len = w.len;
    if let Some(nul) = buf.get_mut(len) {
        *nul = 0;
    }
    len
}

/// Where formatted log lines go: a function given one line, which ends with a NUL byte
/// (not counted in the line's text). The C face installs one that hands the line to the
/// `anj_log_handler_output` hook; a Rust application installs its own with [`set_sink`].
pub type Sink = fn(line_with_nul: &[u8]);

#[cfg(any(feature = "log-full", feature = "log-micro"))]
static SINK: critical_section::Mutex<core::cell::Cell<Option<Sink>>> =
    critical_section::Mutex::new(core::cell::Cell::new(None));

/// Installs the output of the core's log lines (replacing the previous one). Lines
/// logged before any sink is installed are dropped.
#[cfg(any(feature = "log-full", feature = "log-micro"))]
pub fn set_sink(sink: Sink) {
    critical_section::with(|cs| SINK.borrow(cs).set(Some(sink)));
}

/// Formats and outputs one line to the installed [`Sink`]; the expansion of [`anj_log!`]
/// calls this. Kept out of line so that each log statement costs only a call.
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
    let Some(sink) = critical_section::with(|cs| SINK.borrow(cs).get()) else {
        return;
    };
    let mut buf = [0u8; crate::config::LOG_FORMATTER_BUF_SIZE];
    let len = format_line(&mut buf, level, module, file, file_id, line, args);
    if let Some(line) = buf.get(..=len) {
        sink(line);
    }
}

/// Type-checks the arguments of a compiled-out log statement.
#[doc(hidden)]
#[inline(always)]
pub fn discard(_args: fmt::Arguments<'_>) {}

/// Maps the C level tokens (`L_TRACE` ... `L_ERROR`) to [`Level`].
#[doc(hidden)]
#[macro_export]
macro_rules! __anj_log_level {
    (L_TRACE) => {
        $crate::log::Level::Trace
    };
    (L_DEBUG) => {
        $crate::log::Level::Debug
    };
    (L_INFO) => {
        $crate::log::Level::Info
    };
    (L_WARNING) => {
        $crate::log::Level::Warning
    };
    (L_ERROR) => {
        $crate::log::Level::Error
    };
}

/// The file name printed in full mode (empty, hence not stored, in micro mode).
#[cfg(feature = "log-full")]
#[doc(hidden)]
#[macro_export]
macro_rules! __anj_log_file {
    () => {
        file!()
    };
}

/// The micro-log file ID (0, unused, in full mode).
#[cfg(feature = "log-full")]
#[doc(hidden)]
#[macro_export]
macro_rules! __anj_log_file_id {
    () => {
        0u16
    };
}

#[cfg(all(feature = "log-micro", not(feature = "log-full")))]
#[doc(hidden)]
#[macro_export]
macro_rules! __anj_log_file_id {
    () => {{
        const __ANJ_LOG_FILE_ID: u16 = $crate::log::micro_file_id(::core::file!());
        __ANJ_LOG_FILE_ID
    }};
}

#[cfg(all(feature = "log-micro", not(feature = "log-full")))]
#[doc(hidden)]
#[macro_export]
macro_rules! __anj_log_file {
    () => {
        ""
    };
}

/// Logs a message: `anj_log!(module, L_LEVEL, "format {}", args...)`, where `module` is a
/// bare identifier and the level one of `L_TRACE`, `L_DEBUG`, `L_INFO`, `L_WARNING`,
/// `L_ERROR`. See the module documentation for filtering and output.
#[macro_export]
macro_rules! anj_log {
    ($module:ident, $level:ident, $($arg:tt)+) => {
        $crate::__anj_log_with!($crate::log::emit; $module, $level, $($arg)+)
    };
}

/// [`anj_log!`] with the output function given: the C face logs straight to its C hook
/// with this, through the same filtering and formatting.
#[cfg(any(feature = "log-full", feature = "log-micro"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __anj_log_with {
    ($emit:path; $module:ident, $level:ident, $($arg:tt)+) => {{
        const __ANJ_LOG_KEEP: bool = $crate::log::allowed(
            $crate::__anj_log_level!($level),
            $crate::log::module_level(::core::option_env!(::core::concat!(
                "ANJ_LOG_LEVEL_FOR_MODULE_",
                ::core::stringify!($module)
            ))),
        );
        if __ANJ_LOG_KEEP {
            $emit(
                $crate::__anj_log_level!($level),
                ::core::stringify!($module),
                $crate::__anj_log_file!(),
                $crate::__anj_log_file_id!(),
                ::core::line!(),
                ::core::format_args!($($arg)+),
            );
        }
    }};
}

/// Logging is compiled out: only the level token and the arguments are checked.
#[cfg(not(any(feature = "log-full", feature = "log-micro")))]
#[doc(hidden)]
#[macro_export]
macro_rules! __anj_log_with {
    ($emit:path; $module:ident, $level:ident, $($arg:tt)+) => {{
        let _ = $crate::__anj_log_level!($level);
        if false {
            $crate::log::discard(::core::format_args!($($arg)+));
        }
    }};
}

#[macro_export]
#[doc(hidden)]
macro_rules! log_error {
    ($($arg:tt)+) => { $crate::anj_log!(anj, L_ERROR, $($arg)+) };
}
#[macro_export]
#[doc(hidden)]
macro_rules! log_warning {
    ($($arg:tt)+) => { $crate::anj_log!(anj, L_WARNING, $($arg)+) };
}
#[macro_export]
#[doc(hidden)]
macro_rules! log_info {
    ($($arg:tt)+) => { $crate::anj_log!(anj, L_INFO, $($arg)+) };
}
#[macro_export]
#[doc(hidden)]
macro_rules! log_debug {
    ($($arg:tt)+) => { $crate::anj_log!(anj, L_DEBUG, $($arg)+) };
}
#[cfg(test)]
mod tests {
    use super::*;

    fn line(
        buf_len: usize,
        level: Level,
        file: &str,
        args: fmt::Arguments<'_>,
    ) -> (usize, Vec<u8>) {
        let mut buf = vec![0xAAu8; buf_len];
        let len = format_line(&mut buf, level, "dm", file, 1004, 42, args);
        (len, buf)
    }

    #[test]
    fn full_and_micro_format() {
        let (len, buf) = line(
            128,
            Level::Warning,
            "src/dm/mod.rs",
            format_args!("x={} y={:?}", 5, "a"),
        );
        assert_eq!(&buf[..len], b"WARNING [dm] [src/dm/mod.rs:42]: x=5 y=\"a\"");
        assert_eq!(buf[len], 0);
        let (len, buf) = line(128, Level::Info, "", format_args!("hello"));
        assert_eq!(&buf[..len], b"INFO <ANJ_uLOG>1004;42</ANJ_uLOG> hello");
        assert_eq!(buf[len], 0);
    }

    #[test]
    fn truncation() {
        let (len, buf) = line(10, Level::Error, "", format_args!("long message"));
        assert_eq!(len, 9);
        assert_eq!(&buf[..len], b"ERROR <AN");
        assert_eq!(buf[9], 0);
        let (len, buf) = line(1, Level::Error, "", format_args!("m"));
        assert_eq!((len, buf[0]), (0, 0));
        let (len, _) = line(0, Level::Error, "", format_args!("m"));
        assert_eq!(len, 0);
    }

    /// Every Rust file that logs has a micro-log ID, each ID its decoder stub
    /// (`tools/micro-log-ids/<file>.h`), and IDs are unique.
    #[test]
    fn micro_log_ids_cover_every_logging_file() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap();
        let mut ids = std::collections::HashSet::new();
        for (file, id) in MICRO_LOG_FILE_IDS {
            assert!(ids.insert(*id), "duplicate id {id}");
            assert_eq!(micro_file_id(file), *id);
            let stub =
                std::fs::read_to_string(root.join("tools/micro-log-ids").join(format!("{file}.h")))
                    .unwrap_or_else(|_| panic!("no tools/micro-log-ids/{file}.h"));
            assert!(
                stub.contains(&format!("\n#define ANJ_LOG_SOURCE_FILE_ID {id}\n")),
                "{file}"
            );
        }
        assert_eq!(micro_file_id("src/nowhere.rs"), 0);
        let mut dirs = vec![root.join("src"), root.join("anj-core/src")];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                    continue;
                }
                let rel = p.strip_prefix(root).unwrap().to_str().unwrap().to_string();
                let name = p.file_name().unwrap().to_str().unwrap();
                if !rel.ends_with(".rs")
                    || name.ends_with("_tests.rs")
                    || name == "tests.rs"
                    || rel == "anj-core/src/log.rs"
                    || rel == "src/log.rs"
                    || rel == "src/ffi/log.rs"
                {
                    continue;
                }
                let text = std::fs::read_to_string(&p).unwrap();
                let logs = [
                    "anj_log!",
                    "log_error!",
                    "log_warning!",
                    "log_info!",
                    "log_debug!",
                ]
                .iter()
                .any(|m| text.contains(m));
                if logs {
                    assert_ne!(micro_file_id(&rel), 0, "{rel} logs but has no micro-log ID");
                }
            }
        }
    }

    /// A micro line as the library writes it decodes with Anjay Lite's
    /// micro_logs_decode.py to this file and line (skipped without an Anjay Lite tree at
    /// /tmp/al or ANJAY_LITE_DIR).
    #[test]
    fn micro_lines_decode_with_anjay_lites_script() {
        let al = std::env::var("ANJAY_LITE_DIR").unwrap_or_else(|_| "/tmp/al".into());
        let script = std::path::Path::new(&al).join("tools/micro_logs_decode.py");
        if !script.exists() {
            eprintln!("skipped: {} not found", script.display());
            return;
        }
        let (file, id) = MICRO_LOG_FILE_IDS[0];
        let mut buf = [0u8; 128];
        let len = format_line(
            &mut buf,
            Level::Error,
            "anj",
            "",
            id,
            77,
            format_args!("boom {}", 1),
        );
        let mut input = buf[..len].to_vec();
        input.push(b'\n');
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap();
        let mut child = std::process::Command::new("python3")
            .arg(&script)
            .current_dir(root.join("tools/micro-log-ids"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3");
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&input).unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text, format!("ERROR [{file}.h:77]: boom 1\n"));
    }

    #[test]
    fn filtering() {
        use Level::*;
        assert!(allowed(Info, Info) && allowed(Error, Info) && allowed(Trace, Trace));
        assert!(!allowed(Debug, Info) && !allowed(Error, Muted) && !allowed(Muted, Trace));
        assert_eq!(Level::from_config_name("L_WARNING"), Some(Warning));
        assert_eq!(Level::from_config_name("WARNING"), None);
        assert_eq!(module_level(Some("L_TRACE")), Trace);
        assert_eq!(module_level(Some("bogus")), DEFAULT_LEVEL);
        assert_eq!(module_level(None), DEFAULT_LEVEL);
    }

    #[test]
    fn macro_expands_everywhere() {
        // Kept and dropped statements both compile; kept ones reach the output hook.
        let n = 3;
        crate::anj_log!(log_test, L_ERROR, "rust log test {} {}", n, "ok");
        crate::anj_log!(log_test, L_TRACE, "filtered out {}", n);
        crate::anj_log!(log_test, L_INFO, "no arguments");
    }
}
