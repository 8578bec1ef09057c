//! `tally`: the command line. Parse it, set up logging, read the settings, and hand
//! over to the library; nothing else lives here.

mod bench;
mod cli;
mod import;

use clap::Parser;
use cli::{Cli, Command, TokenCommand, UserCommand};
use std::process::ExitCode;

/// mimalloc instead of the system's allocator: the server allocates and frees many
/// small values per event and per view from several threads, and with mimalloc it
/// ingests and answers faster for about the same memory (see `docs/benchmarks.md`,
/// "The allocator").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings.data();
    match cli.command {
        Command::Serve => {
            let server = cli.settings.server().map_err(anyhow::Error::msg)?;
            tally_server::serve(&server).await?
        }
        Command::Migrate => cli::migrate(&settings).await?,
        Command::Token {
            command: TokenCommand::Create { role, name, user },
        } => {
            cli::create_token(&settings, &role, &name, user.as_deref()).await?;
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    name,
                    role,
                    id,
                    extension,
                },
        } => {
            let account = cli::NewAccount {
                email: &email,
                name: &name,
                role: &role,
                id: id.as_deref(),
                extension: extension.as_deref(),
            };
            cli::create_user(&settings, account).await?;
        }
        Command::User {
            command: UserCommand::Password { id },
        } => cli::set_password(&settings, &id).await?,
        Command::Rebuild => cli::rebuild(&settings).await?,
        Command::Backup { file } => cli::backup(&settings, &file).await?,
        Command::Import { command } => import::run(&settings, command).await?,
        Command::Bench(args) => bench::run(&settings, args).await?,
    }
    Ok(())
}
