//! The admin pages (owner, admin): users with roles, passwords and phone extensions;
//! teams with dated memberships and supervisors; sales channels; API tokens and TV
//! links, shown once and revocable; webhooks with their deliveries.
//! Changes go through the JSON API's handlers with the signed-in person as the caller,
//! so an admin is refused what the API refuses them (anything about an owner).

mod channels;
mod metrics;
mod screens;
mod teams;
mod tokens;
mod users;
mod webhooks;

pub use channels::{channels, save_channel};
pub use metrics::{define_metric, metrics, remove_metric};
pub use screens::{create_screen, revoke_screen, screens};
pub use teams::{add_member, add_supervisor, create_team, remove_supervisor, teams};
pub use tokens::{create_token, revoke_token, tokens};
pub use users::{create_user, update_user, user_form, users};
pub use webhooks::{change_webhook, create_webhook, webhooks};

use super::{PageError, Viewer, may_administer, require};
use tally_core::Role;

const ROLES: [Role; 4] = [Role::Owner, Role::Admin, Role::Supervisor, Role::Agent];

/// A role in a menu.
pub struct RoleOption {
    pub key: &'static str,
    pub name: &'static str,
}

/// Refuses the admin pages to supervisors and agents before anything else is read.
fn require_admin(viewer: &Viewer) -> Result<(), PageError> {
    require(
        viewer,
        may_administer,
        "manage users, teams, channels, KPI criteria, tokens, TV links or webhooks",
    )
}

/// The roles this person may give.
fn roles(viewer: &Viewer) -> Vec<RoleOption> {
    ROLES
        .iter()
        .filter(|r| viewer.user.role.may_grant(**r))
        .map(|r| RoleOption {
            key: r.as_str(),
            name: viewer.t().role(*r),
        })
        .collect()
}
