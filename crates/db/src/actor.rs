//! Who makes a change: recorded in its audit row, and checked against the changed row's owner.
//! The ownership rule lives here, once, for every resource that has owners.

/// A signed-in user making a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub is_admin: bool,
}

impl Actor {
    /// The ownership rule: a row's owner or an administrator may change it; a row without an
    /// owner (seeded, or its owner deleted) only an administrator.
    pub fn may_change(&self, owner: Option<i64>) -> bool {
        self.is_admin || owner == Some(self.user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::Actor;

    #[test]
    fn owners_and_administrators_may_change_a_row_others_may_not() {
        let owner = Actor {
            user_id: 7,
            is_admin: false,
        };
        let other = Actor {
            user_id: 8,
            is_admin: false,
        };
        let admin = Actor {
            user_id: 1,
            is_admin: true,
        };
        assert!(owner.may_change(Some(7)));
        assert!(!other.may_change(Some(7)));
        assert!(admin.may_change(Some(7)));
        assert!(!owner.may_change(None), "no owner: administrators only");
        assert!(admin.may_change(None));
    }
}
