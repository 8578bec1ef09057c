-- Version 5: sign-in for people (the web pages) and revocable API tokens.
-- Keep in step with the other backend's 0005.

-- An argon2id hash in PHC form; null while the user cannot sign in.
alter table users add column password_hash text;

-- Signed-in browsers: only the SHA-256 of the session cookie is kept.
create table sessions (
    id_hash text primary key,
    user_key bigint not null references users (key),
    created_at bigint not null,
    expires_at bigint not null
);
create index sessions_by_expiry on sessions (expires_at);

alter table tokens add column revoked_at bigint;
