//! People, teams, dated memberships and who supervises which team: created and
//! changed by owners and admins (only an owner makes or changes an owner), read by
//! every role within what it sees — from the organisation in memory.

use crate::access::seen_team;
use crate::app::App;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::input::Fields;
use rand::RngCore;
use serde_json::Value;
use tally_core::event::MAX_ID_CHARS;
use tally_core::{Day, MembershipRecord, Role, Team, User};
use tally_store::NewUser;

const MANAGERS: [Role; 2] = [Role::Owner, Role::Admin];

/// A person to add, as read from a request.
#[derive(Clone, Debug)]
pub struct NewPerson {
    pub id: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub role: Role,
    pub extension: Option<String>,
    /// Their extensions besides `extension` (all of them).
    pub extensions: Option<Vec<String>>,
}

/// A change to a person: what is given changes; `Some(None)` clears.
#[derive(Clone, Debug, Default)]
pub struct PersonChange {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub role: Option<Role>,
    pub extension: Option<Option<String>>,
    pub extensions: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// A person as a caller may see them: a wallboard does not read contact details.
#[derive(Clone, Debug)]
pub struct PersonView {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub contact: Option<Contact>,
}

/// How to reach a person, and the extensions that map their calls.
#[derive(Clone, Debug)]
pub struct Contact {
    pub email: Option<String>,
    pub extension: Option<String>,
    pub extensions: Vec<String>,
}

/// A team and its memberships.
#[derive(Clone, Debug)]
pub struct TeamView {
    pub team: Team,
    pub members: Vec<MembershipRecord>,
}

impl NewPerson {
    /// Reads `{"id?", "name", "email?", "role", "extension?", "extensions?"}`.
    pub fn read(fields: &Fields) -> Result<NewPerson> {
        let role = role(&fields.text("role", 20)?)?;
        Ok(NewPerson {
            id: fields.optional_text("id", MAX_ID_CHARS)?,
            name: fields.text("name", 200)?,
            email: email(fields)?,
            role,
            extension: extension(fields.optional_text("extension", 20)?)?,
            extensions: more_extensions(fields)?,
        })
    }
}

impl PersonChange {
    /// Reads `{"name?", "email?", "role?", "extension?", "extensions?", "active?"}`.
    pub fn read(fields: &Fields) -> Result<PersonChange> {
        Ok(PersonChange {
            role: fields
                .optional_text("role", 20)?
                .map(|r| role(&r))
                .transpose()?,
            name: fields.optional_text("name", 200)?,
            email: match fields.contains("email") {
                true => Some(email(fields)?),
                false => None,
            },
            extension: fields
                .nullable_text("extension", 20)?
                .map(extension)
                .transpose()?,
            active: fields.optional_bool("active")?,
            extensions: more_extensions(fields)?,
        })
    }
}

impl App {
    /// Adds a person, with a password hash when the pages or the command line give
    /// one (stored in the same statement as the person).
    #[tracing::instrument(skip_all, fields(caller = %caller.actor()))]
    pub async fn create_person(
        &self,
        caller: &Caller,
        person: NewPerson,
        password_hash: Option<&str>,
    ) -> Result<PersonView> {
        caller.require(&MANAGERS, "create users")?;
        may_grant(caller, person.role, "create a user with role")?;
        let user = NewUser {
            id: person.id.unwrap_or_else(|| new_id("u")),
            name: person.name,
            email: person.email,
            role: person.role,
            extension: person.extension,
        };
        self.check_extensions(&person.extensions, None).await?;
        self.check_extension(user.extension.as_deref(), None)
            .await?;
        let store = self.store();
        let user = store
            .create_user_with_password(&user, password_hash)
            .await?;
        if let Some(more) = &person.extensions {
            store.set_more_extensions(user.key, more).await?;
        }
        self.person_view(caller, &user.id).await
    }

    /// Changes a person and, when given, their password hash (saved with the person,
    /// ending their sessions). The change is saved only if their role is still the one
    /// the caller's rights were checked against (409 otherwise).
    #[tracing::instrument(skip_all, fields(caller = %caller.actor(), person = id))]
    pub async fn change_person(
        &self,
        caller: &Caller,
        id: &str,
        change: PersonChange,
        password_hash: Option<&str>,
    ) -> Result<PersonView> {
        caller.require(&MANAGERS, "change users")?;
        let store = self.store();
        let mut user = store
            .user(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("user '{id}' does not exist")))?;
        let previous_role = user.role;
        user.role = change.role.unwrap_or(user.role);
        for role in [previous_role, user.role] {
            may_grant(caller, role, "change a user with role").map_err(|_| {
                Error::Forbidden(format!("the {} role may not change an owner", caller.role))
            })?;
        }
        user.name = change.name.unwrap_or(user.name);
        user.email = change.email.unwrap_or(user.email);
        user.extension = change.extension.unwrap_or(user.extension);
        user.active = change.active.unwrap_or(user.active);
        self.check_extensions(&change.extensions, Some(&user.id))
            .await?;
        self.check_extension(user.extension.as_deref(), Some(&user.id))
            .await?;
        let user = store
            .save_user_with_password(&user, Some(previous_role), password_hash)
            .await?;
        if let Some(more) = &change.extensions {
            store.set_more_extensions(user.key, more).await?;
        }
        self.person_view(caller, &user.id).await
    }

    /// Sets a person's password (and signs them out everywhere): the command line.
    pub async fn set_password(&self, id: &str, password_hash: &str) -> Result<()> {
        Ok(self.store().set_password_hash(id, password_hash).await?)
    }

    /// Everyone, ordered by id; an agent sees only themself.
    pub async fn people(&self, caller: &Caller) -> Result<Vec<PersonView>> {
        let now = self.now().await?;
        let directory = &now.directory;
        Ok(directory
            .roster
            .users()
            .iter()
            .filter(|u| caller.limited_to().is_none_or(|own| own == u.id))
            .map(|u| view_of(caller, u, directory.extensions.get(&u.key)))
            .collect())
    }

    /// One person; an agent may only see themself (403 for anyone else, existing or
    /// not).
    pub async fn person(&self, caller: &Caller, id: &str) -> Result<PersonView> {
        if caller.limited_to().is_some_and(|own| own != id) {
            return Err(Error::Forbidden(
                "an agent may only see their own user".into(),
            ));
        }
        self.person_view(caller, id).await
    }

    async fn person_view(&self, caller: &Caller, id: &str) -> Result<PersonView> {
        let now = self.now().await?;
        let directory = &now.directory;
        let user = directory
            .roster
            .user(id)
            .ok_or_else(|| Error::NotFound(format!("user '{id}' does not exist")))?;
        Ok(view_of(caller, user, directory.extensions.get(&user.key)))
    }

    /// Adds a team.
    pub async fn create_team(&self, caller: &Caller, fields: &Fields) -> Result<Team> {
        caller.require(&MANAGERS, "create teams")?;
        let id = fields
            .optional_text("id", MAX_ID_CHARS)?
            .unwrap_or_else(|| new_id("t"));
        Ok(self
            .store()
            .create_team(&id, &fields.text("name", 200)?)
            .await?)
    }

    /// Every team; an agent sees only the teams they belong to.
    pub async fn teams(&self, caller: &Caller) -> Result<Vec<Team>> {
        let now = self.now().await?;
        let roster = &now.directory.roster;
        Ok(roster
            .teams()
            .iter()
            .filter(|t| {
                caller
                    .limited_to()
                    .is_none_or(|own| roster.memberships_of(&t.id).any(|m| m.user_id == own))
            })
            .cloned()
            .collect())
    }

    /// A team and its memberships; an agent may only see a team they belong to (403
    /// for any other, existing or not, so team ids are not revealed).
    pub async fn team(&self, caller: &Caller, id: &str) -> Result<TeamView> {
        let now = self.now().await?;
        let roster = &now.directory.roster;
        let members: Vec<MembershipRecord> = roster.memberships_of(id).cloned().collect();
        if let Some(own) = caller.limited_to()
            && !members.iter().any(|m| m.user_id == own)
        {
            return Err(Error::Forbidden(
                "an agent may only see their own teams".into(),
            ));
        }
        let team = roster
            .team(id)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("team '{id}' does not exist")))?;
        Ok(TeamView { team, members })
    }

    /// Adds `{"user_id", "from", "to?"}` to a team; the same user and `from` again sets
    /// `to` (ends the membership).
    pub async fn add_member(
        &self,
        caller: &Caller,
        team_id: &str,
        fields: &Fields,
    ) -> Result<MembershipRecord> {
        caller.require(&MANAGERS, "change team memberships")?;
        let user_id = fields.text("user_id", MAX_ID_CHARS)?;
        let from: Day = fields
            .optional_day("from")?
            .ok_or_else(|| Error::invalid("from", "is required"))?;
        let to = fields.optional_day("to")?;
        Ok(self
            .store()
            .add_membership(team_id, &user_id, from, to)
            .await?)
    }

    /// Makes `{"user_id"}` a supervisor of a team (they then set goals for it and its
    /// members).
    pub async fn add_supervisor(
        &self,
        caller: &Caller,
        team_id: &str,
        fields: &Fields,
    ) -> Result<String> {
        caller.require(&MANAGERS, "change who supervises a team")?;
        let user_id = fields.text("user_id", MAX_ID_CHARS)?;
        self.store().add_supervisor(team_id, &user_id).await?;
        Ok(user_id)
    }

    /// Who supervises a team: every role that sees the team.
    pub async fn supervisors(&self, caller: &Caller, team_id: &str) -> Result<Vec<String>> {
        let now = self.now().await?;
        let directory = &now.directory;
        let scope = self.read_scope(caller, directory);
        seen_team(directory, &scope, team_id)?;
        Ok(directory
            .roster
            .supervisors()
            .iter()
            .filter(|(team, _)| team == team_id)
            .map(|(_, user)| user.clone())
            .collect())
    }

    /// Ends a supervises link.
    pub async fn remove_supervisor(
        &self,
        caller: &Caller,
        team_id: &str,
        user_id: &str,
    ) -> Result<()> {
        caller.require(&MANAGERS, "change who supervises a team")?;
        match self.store().remove_supervisor(team_id, user_id).await? {
            true => Ok(()),
            false => Err(Error::NotFound(format!(
                "'{user_id}' does not supervise team '{team_id}'"
            ))),
        }
    }

    /// An extension maps calls to one user: another user's is a conflict.
    async fn check_extension(&self, extension: Option<&str>, user: Option<&str>) -> Result<()> {
        let Some(extension) = extension else {
            return Ok(());
        };
        let holders = self.store().extension_holders(extension).await?;
        match holders.iter().find(|h| Some(h.as_str()) != user) {
            Some(other) => Err(Error::Conflict(format!(
                "extension {extension} already belongs to user '{other}'"
            ))),
            None => Ok(()),
        }
    }

    async fn check_extensions(
        &self,
        extensions: &Option<Vec<String>>,
        user: Option<&str>,
    ) -> Result<()> {
        for extension in extensions.iter().flatten() {
            self.check_extension(Some(extension), user).await?;
        }
        Ok(())
    }
}

/// Only an owner makes or changes an owner; nobody hands out more power than they
/// have.
fn may_grant(caller: &Caller, role: Role, what: &str) -> Result<()> {
    match caller.role.may_grant(role) {
        true => Ok(()),
        false => Err(Error::Forbidden(format!(
            "the {} role may not {what} {role}",
            caller.role
        ))),
    }
}

fn view_of(caller: &Caller, user: &User, extensions: Option<&Vec<String>>) -> PersonView {
    PersonView {
        id: user.id.clone(),
        name: user.name.clone(),
        role: user.role,
        active: user.active,
        contact: (!caller.is_wallboard()).then(|| Contact {
            email: user.email.clone(),
            extension: user.extension.clone(),
            extensions: extensions.cloned().unwrap_or_default(),
        }),
    }
}

fn role(text: &str) -> Result<Role> {
    text.parse()
        .map_err(|e: tally_core::role::UnknownRole| Error::invalid("role", e.to_string()))
}

fn email(fields: &Fields) -> Result<Option<String>> {
    let email = fields.optional_text("email", 254)?;
    if let Some(email) = &email {
        let valid = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace)
        });
        if !valid {
            return Err(Error::invalid(
                "email",
                "must be an email address such as lan@example.vn",
            ));
        }
    }
    Ok(email.map(|e| e.to_lowercase()))
}

pub(crate) fn extension(extension: Option<String>) -> Result<Option<String>> {
    if extension
        .as_ref()
        .is_some_and(|e| !e.chars().all(|c| c.is_ascii_digit() || "*#+".contains(c)))
    {
        return Err(Error::invalid(
            "extension",
            "must be digits (and * # +), such as 101",
        ));
    }
    Ok(extension)
}

/// `extensions`: the user's phone extensions besides `extension` (all of them
/// replaced), each as an extension is.
fn more_extensions(fields: &Fields) -> Result<Option<Vec<String>>> {
    let list = match fields.get("extensions") {
        None => return Ok(None),
        Some(Value::Null) => return Ok(Some(Vec::new())),
        Some(Value::Array(list)) if list.len() <= 20 => list,
        Some(_) => {
            return Err(Error::invalid(
                "extensions",
                "must be a list of at most 20 extensions",
            ));
        }
    };
    let mut extensions: Vec<String> = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let field = format!("extensions[{i}]");
        let text = item
            .as_str()
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 20)
            .ok_or_else(|| Error::invalid(&field, "must be an extension such as 201"))?;
        extension(Some(text.to_owned()))
            .map_err(|_| Error::invalid(&field, "must be digits (and * # +), such as 201"))?;
        if !extensions.iter().any(|e| e == text) {
            extensions.push(text.to_owned());
        }
    }
    Ok(Some(extensions))
}

/// A new random id such as `u-3f9a1c2b7d4e`.
pub fn new_id(prefix: &str) -> String {
    let mut bytes = [0u8; 6];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}-{}", hex::encode(bytes))
}
