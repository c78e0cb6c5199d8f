//! The data model: the [`Object`] trait an LwM2M Object implements, the operations the
//! server's requests run on objects ([`ops`]), [`DmError`], the error every data model
//! operation fails with (it carries the CoAP code the server gets), and the attribute
//! rules of Write-Attributes and Discover ([`attributes`]).

pub mod attributes;
pub mod model;
pub mod object;
pub mod ops;
pub mod set;

pub use model::*;
pub use object::{Object, ResKind, Resource, WriteValue};
pub use ops::{default_depth, io_error, is_protected, valid_execute_args, DiscoverItem, WriteKind};
pub use set::Objects;

use crate::coap::Code;

/// Why a data model operation failed: carries the CoAP response code the server gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmError(pub Code);

impl DmError {
    pub const BAD_REQUEST: DmError = DmError(Code::BAD_REQUEST);
    pub const UNAUTHORIZED: DmError = DmError(Code::UNAUTHORIZED);
    pub const NOT_FOUND: DmError = DmError(Code::NOT_FOUND);
    pub const METHOD_NOT_ALLOWED: DmError = DmError(Code::METHOD_NOT_ALLOWED);
    pub const NOT_ACCEPTABLE: DmError = DmError(Code::NOT_ACCEPTABLE);
    pub const TOO_LARGE: DmError = DmError(Code::REQUEST_ENTITY_TOO_LARGE);
    pub const UNSUPPORTED_FORMAT: DmError = DmError(Code::UNSUPPORTED_CONTENT_FORMAT);
    pub const INTERNAL: DmError = DmError(Code::INTERNAL_SERVER_ERROR);
    pub const NOT_IMPLEMENTED: DmError = DmError(Code::NOT_IMPLEMENTED);
    pub const SERVICE_UNAVAILABLE: DmError = DmError(Code::SERVICE_UNAVAILABLE);

    /// Maps a handler's return code (the convention of Anjay Lite's `anj/dm/core.h`): the seven
    /// `ANJ_DM_ERR_*` values (minus a CoAP code) give that code, any other negative value
    /// gives 5.00.
    pub fn from_handler(ret: i32) -> DmError {
        const KNOWN: [Code; 7] = [
            Code::BAD_REQUEST,
            Code::UNAUTHORIZED,
            Code::NOT_FOUND,
            Code::METHOD_NOT_ALLOWED,
            Code::INTERNAL_SERVER_ERROR,
            Code::NOT_IMPLEMENTED,
            Code::SERVICE_UNAVAILABLE,
        ];
        KNOWN
            .iter()
            .find(|c| Some(i32::from(c.0)) == ret.checked_neg())
            .map_or(DmError::INTERNAL, |c| DmError(*c))
    }
}

impl DmError {
    /// The `ANJ_DM_ERR_*`-style code of this error (minus the CoAP code).
    pub fn handler_code(self) -> i32 {
        -(self.0 .0 as i32)
    }
}

pub type DmResult<T> = Result<T, DmError>;
