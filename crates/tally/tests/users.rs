//! `tally user create` and `tally user password`: the password read from standard
//! input, kept only as an argon2 hash, and a short one refused with nothing created;
//! on both backends.

#![allow(clippy::unwrap_used)]

use std::process::Stdio;
use tally_store::testing::TestDb;
use tally_store::{Backend, Store};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// Runs `tally ARGS` with `stdin` as standard input; (success, stdout + stderr).
async fn tally(db: &TestDb, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tally"))
        .arg(format!("--database-url={}", db.url))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let output = child.wait_with_output().await.unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

async fn create_then_change_password(backend: Backend) {
    let db = TestDb::create(backend).await;
    let create = [
        "user",
        "create",
        "--role",
        "owner",
        "--email",
        "Lan@Example.vn",
        "--name",
        "Nguyễn Thị Lan",
        "--id",
        "lan",
        "--extension",
        "201",
    ];
    let (ok, out) = tally(&db, &create, "ngắn\n").await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("password: must have at least 8 characters"),
        "{out}"
    );
    let store = Store::open(&db.url).await.unwrap();
    assert!(
        store.user("lan").await.unwrap().is_none(),
        "nothing created"
    );

    let mut bad_email = create;
    bad_email[5] = "not-an-email";
    let (ok, out) = tally(&db, &bad_email, "mật khẩu đủ dài\n").await;
    assert!(!ok, "{out}");
    assert!(out.contains("--email:"), "{out}");
    assert!(
        store.user("lan").await.unwrap().is_none(),
        "nothing created"
    );

    let (ok, out) = tally(&db, &create, "mật khẩu đủ dài\n").await;
    assert!(ok, "{out}");
    assert!(
        out.contains("Created the owner Nguyễn Thị Lan (id lan)"),
        "{out}"
    );
    let (user, hash) = store.sign_in_of("lan@example.vn").await.unwrap().unwrap();
    assert_eq!(user.extension.as_deref(), Some("201"));
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("mật khẩu"));
    assert!(tally_app::passwords::matches("mật khẩu đủ dài", &hash));

    // A new password signs them out everywhere.
    let session = tally_app::tokens::hash_secret("a session cookie");
    let tomorrow = jiff::Timestamp::now().as_second() + 86_400;
    let old_hash = hash.clone();
    let started = store
        .create_session(&session, user.key, &hash, tomorrow)
        .await
        .unwrap();
    assert!(started);
    assert!(store.session_user(&session).await.unwrap().is_some());
    let (ok, out) = tally(
        &db,
        &["user", "password", "--id", "lan"],
        "một mật khẩu mới\n",
    )
    .await;
    assert!(ok, "{out}");
    let (_, hash) = store.sign_in_of("lan@example.vn").await.unwrap().unwrap();
    assert!(tally_app::passwords::matches("một mật khẩu mới", &hash));
    assert!(!tally_app::passwords::matches("mật khẩu đủ dài", &hash));
    assert!(store.session_user(&session).await.unwrap().is_none());
    // A sign-in that checked the old password while the new one was being set gets
    // no session.
    let late = tally_app::tokens::hash_secret("a late sign-in");
    let started = store
        .create_session(&late, user.key, &old_hash, tomorrow)
        .await
        .unwrap();
    assert!(!started);
    store.close().await;
}

#[tokio::test]
async fn create_then_change_password_sqlite() {
    create_then_change_password(Backend::Sqlite).await;
}

#[tokio::test]
async fn create_then_change_password_postgres() {
    create_then_change_password(Backend::Postgres).await;
}
