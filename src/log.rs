//! The log macros of the C face: the core's filtering and formatting
//! (`anj_core::__anj_log_with!`), output straight to the C hook ([`crate::ffi::log::emit`]).
//! With logs off (`ANJ_LOG_FULL` and `ANJ_LOG_MICRO` both off) they compile to nothing.

/// Logs a message: `anj_log!(module, L_LEVEL, "format {}", args...)` (see `anj_core::log`).
#[macro_export]
macro_rules! anj_log {
    ($module:ident, $level:ident, $($arg:tt)+) => {
        $crate::__core::__anj_log_with!($crate::ffi::log::emit; $module, $level, $($arg)+)
    };
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
