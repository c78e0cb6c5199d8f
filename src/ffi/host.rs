//! The client's [`Host`] in the C face: what `anj_core_step` hands the client besides the
//! link — the registered C objects (through the one adapter, [`CObjects`]), the endpoint
//! name, the Send queue, and the offload of credentials after a bootstrap.

use crate::client::Host;
use crate::dm::{CObjects, ExtHold, Objects, Registry};
use crate::ffi::core::anj_t;

/// The C face's [`Host`] for one call into the client.
pub(crate) struct CHostImpl<'a> {
    objs: CObjects<'a>,
    /// The client: its endpoint name, and what the C hooks of credentials and key storage
    /// are given.
    anj: *mut anj_t,
    #[cfg(feature = "lwm2m-send")]
    send: Option<(
        &'a crate::send::SendQueue,
        crate::ffi::send::CSendSource<'a>,
    )>,
}

impl<'a> CHostImpl<'a> {
    /// The host of the initialised client `anj`, over the objects of `reg` (whose
    /// handlers get `anj`); `hold` keeps an external value open between the blocks of a
    /// block-wise Read.
    ///
    /// # Safety
    /// `anj` was initialised and stays valid for `'a`; `reg` is its registry, which no
    /// one changes for `'a` (the re-entry guard refuses `anj_dm_add_obj` and
    /// `anj_dm_remove_obj` while the client runs).
    pub(crate) unsafe fn new(
        anj: *mut anj_t,
        reg: &'a Registry,
        hold: Option<&'a mut ExtHold>,
    ) -> CHostImpl<'a> {
        CHostImpl {
            objs: CObjects::new(reg, anj, hold),
            anj,
            #[cfg(feature = "lwm2m-send")]
            // SAFETY: guaranteed by the caller: `anj` is initialised and valid for 'a,
            // and is what the finished handlers are given.
            send: unsafe { crate::ffi::core::client_send_queue(anj) },
        }
    }
}

impl Host for CHostImpl<'_> {
    fn objects(&mut self) -> &mut dyn Objects {
        &mut self.objs
    }

    fn endpoint_name(&self) -> &[u8] {
        // SAFETY: `anj` was initialised and stays valid for this host's life (`new`'s
        // contract); the name outlives the client (`anj_configuration_t`'s contract).
        unsafe { crate::ffi::core::endpoint_name(self.anj) }
    }

    fn bootstrap_finished(&mut self) {
        #[cfg(feature = "external-crypto-storage")]
        if let Some(sec) = self.objs.registry().find(0) {
            // The built-in Security object moves the credentials the Bootstrap-Server
            // wrote to the external crypto storage (nothing happens for another object).
            crate::ffi::objects::security_offload_after_bootstrap(self.anj, sec.ptr());
        }
    }

    fn provides_psk(&mut self, _security_iid: u16) -> bool {
        #[cfg(feature = "security")]
        // SAFETY: `anj` is the initialised client this host was made for (`new`'s
        // contract), and the registry is its own.
        return unsafe {
            crate::ffi::security::owner_resolves_psk(self.anj, self.objs.registry(), _security_iid)
        };
        #[cfg(not(feature = "security"))]
        false
    }

    #[cfg(feature = "lwm2m-send")]
    fn send(&self) -> Option<(&crate::send::SendQueue, &dyn crate::send::SendSource)> {
        self.send
            .as_ref()
            .map(|(q, src)| (*q, src as &dyn crate::send::SendSource))
    }
}
