//! [`Objects`]: the set of objects the client serves, handed to it on every call that may
//! reach the data model (like a socket set is handed to a network stack).

use super::object::Object;

/// The objects of the data model, looked up by OID.
///
/// The client keeps no reference to an object between calls: what it remembers across
/// calls (a transaction, a block-wise Write, an observation) names the object by its OID.
pub trait Objects {
    /// Number of objects.
    fn len(&self) -> usize;
    /// The OID of the object at `index`, objects in ascending OID order.
    fn oid_at(&self, index: usize) -> Option<u16>;
    /// The object `oid` for one operation (None: no such object).
    fn object(&mut self, oid: u16) -> Option<&mut dyn Object>;

    /// Whether the set is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// [`Objects::object`] for a read that may go on in a later request with the same
    /// external values (the next block of a block-wise Read): a set that opens sources of
    /// external values for its objects may keep the ones read through this object open
    /// until [`Objects::close_kept_sources`], so the next block reads on from where this
    /// one stopped. Objects that own their sources need nothing of it (the default).
    fn object_keeping_sources(&mut self, oid: u16) -> Option<&mut dyn Object> {
        self.object(oid)
    }

    /// The client will not go on with the values read through
    /// [`Objects::object_keeping_sources`]: close them.
    fn close_kept_sources(&mut self) {}
}

/// A set given as a slice of objects, in any order: [`Objects::oid_at`] lists them by
/// ascending OID (when two share an OID, the first one given is the one found).
impl<'a> Objects for [&'a mut (dyn Object + 'a)] {
    fn len(&self) -> usize {
        self.len()
    }

    fn oid_at(&self, index: usize) -> Option<u16> {
        // The object with exactly `index` objects before it in (OID, position) order.
        // Quadratic, but sets are small, and nothing is allocated or sorted in place.
        self.iter().enumerate().find_map(|(i, o)| {
            let key = (o.oid(), i);
            let before = self
                .iter()
                .enumerate()
                .filter(|(j, p)| (p.oid(), *j) < key)
                .count();
            (before == index).then_some(key.0)
        })
    }

    #[inline]
    fn object(&mut self, oid: u16) -> Option<&mut dyn Object> {
        match self.iter_mut().find(|o| o.oid() == oid) {
            Some(o) => Some(&mut **o),
            None => None,
        }
    }
}

/// A borrowed set is a set: a slice of objects (unsized) becomes a `&mut dyn Objects`
/// as `&mut &mut [&mut dyn Object]`.
impl<T: Objects + ?Sized> Objects for &mut T {
    #[inline]
    fn len(&self) -> usize {
        (**self).len()
    }

    #[inline]
    fn oid_at(&self, index: usize) -> Option<u16> {
        (**self).oid_at(index)
    }

    #[inline]
    fn object(&mut self, oid: u16) -> Option<&mut dyn Object> {
        (**self).object(oid)
    }

    #[inline]
    fn object_keeping_sources(&mut self, oid: u16) -> Option<&mut dyn Object> {
        (**self).object_keeping_sources(oid)
    }

    #[inline]
    fn close_kept_sources(&mut self) {
        (**self).close_kept_sources()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dm::object::{ResKind, Resource, WriteValue};
    use crate::dm::DmResult;
    use crate::io::value::{DataType, Value};

    /// An object with one instance and one writable Int resource.
    struct Counter {
        oid: u16,
        value: i64,
    }

    impl Object for Counter {
        fn oid(&self) -> u16 {
            self.oid
        }
        fn instance_id(&self, index: usize) -> Option<u16> {
            (index == 0).then_some(0)
        }
        fn resource(&self, iid: u16, index: usize) -> Option<Resource> {
            (iid == 0 && index == 0).then(|| Resource::new(1, ResKind::RW, DataType::Int))
        }
        fn read(&mut self, _iid: u16, _res: &Resource, _riid: Option<u16>) -> DmResult<Value<'_>> {
            Ok(Value::Int(self.value))
        }
        fn write(
            &mut self,
            _iid: u16,
            _rid: u16,
            _riid: Option<u16>,
            value: &WriteValue<'_>,
        ) -> DmResult<()> {
            match value {
                WriteValue::Whole(Value::Int(v)) => {
                    self.value = *v;
                    Ok(())
                }
                _ => Err(crate::dm::DmError::BAD_REQUEST),
            }
        }
    }

    fn oids<S: Objects + ?Sized>(set: &S) -> ([u16; 4], usize) {
        let mut out = [0; 4];
        let mut n = 0;
        while let Some(oid) = set.oid_at(n) {
            out[n] = oid;
            n += 1;
        }
        (out, n)
    }

    #[test]
    fn a_slice_lists_its_objects_by_ascending_oid_whatever_their_order() {
        let (mut a, mut b, mut c) = (
            Counter {
                oid: 3303,
                value: 1,
            },
            Counter { oid: 1, value: 2 },
            Counter { oid: 3, value: 3 },
        );
        let set: &mut [&mut dyn Object] = &mut [&mut a, &mut b, &mut c];
        assert_eq!(Objects::len(set), 3);
        assert!(!Objects::is_empty(set));
        assert_eq!(oids(set), ([1, 3, 3303, 0], 3));
        assert_eq!(set.oid_at(3), None);
        // As a `dyn Objects`, through a reference to the slice.
        let mut by_ref = set;
        let dynamic: &mut dyn Objects = &mut by_ref;
        assert_eq!(dynamic.len(), 3);
        assert_eq!(oids(dynamic), ([1, 3, 3303, 0], 3));
        assert_eq!(dynamic.object(3).map(|o| o.oid()), Some(3));
    }

    #[test]
    fn a_slice_finds_objects_by_oid_and_they_stay_mutable() {
        let (mut a, mut b) = (Counter { oid: 5, value: 10 }, Counter { oid: 4, value: 20 });
        let set: &mut [&mut dyn Object] = &mut [&mut a, &mut b];
        let res = Resource::new(1, ResKind::RW, DataType::Int);
        let obj = set.object(4).expect("/4 is in the set");
        assert_eq!(obj.oid(), 4);
        assert_eq!(obj.read(0, &res, None), Ok(Value::Int(20)));
        assert_eq!(set.object(5).map(|o| o.oid()), Some(5));
        assert!(set.object(6).is_none());
        let write = WriteValue::Whole(Value::Int(11));
        assert_eq!(set.object(5).unwrap().write(0, 1, None, &write), Ok(()));
        // The slice's objects are the caller's: changes through the set are theirs.
        assert_eq!((a.value, b.value), (11, 20));
    }

    #[test]
    fn an_empty_slice_has_no_objects() {
        let set: &mut [&mut dyn Object] = &mut [];
        assert!(Objects::is_empty(set));
        assert_eq!(set.oid_at(0), None);
        assert!(set.object(0).is_none());
    }

    #[test]
    fn objects_sharing_an_oid_are_listed_once_each_and_the_first_is_found() {
        let (mut a, mut b, mut c) = (
            Counter { oid: 7, value: 1 },
            Counter { oid: 2, value: 2 },
            Counter { oid: 7, value: 3 },
        );
        let set: &mut [&mut dyn Object] = &mut [&mut a, &mut b, &mut c];
        assert_eq!(oids(set), ([2, 7, 7, 0], 3));
        let res = Resource::new(1, ResKind::RW, DataType::Int);
        assert_eq!(
            set.object(7).unwrap().read(0, &res, None),
            Ok(Value::Int(1))
        );
    }
}
