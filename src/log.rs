//! Short forms of the `anj_log!` macro for the library's own messages (module "anj").
//! With logs off (`ANJ_LOG_FULL` and `ANJ_LOG_MICRO` both off) they compile to nothing.

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
