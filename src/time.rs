//! Time types shared by the core and the C face.
