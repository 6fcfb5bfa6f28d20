//! The `cookie-policy` server: settings, logging, subcommands, run.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cookie_policy::settings::Settings;
use cookie_policy::startup::Application;

/// Serves the FastAPI cookie guide's endpoints through one typed cookie policy.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve HTTP (the default).
    Serve,
    /// Load and validate the configuration, then print it as JSON (keys redacted).
    CheckConfig,
    /// Print a fresh random key for `keys.current` / `APP_KEYS__CURRENT`.
    Keygen,
    /// Ask the configured server for `/healthz`: exit 0 when it answers
    /// `{"status":"ok"}`, 1 otherwise (for a container's HEALTHCHECK).
    Healthcheck,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Keygen) = cli.command {
        // Needs no configuration: it is how a first key is made.
        return match cookie_policy::policy::protect::generate_key() {
            Ok(key) => {
                println!("{key}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: no randomness available to make a key: {e}");
                ExitCode::FAILURE
            }
        };
    }
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&settings),
        Command::Keygen => ExitCode::SUCCESS, // handled above
        Command::Healthcheck => match cookie_policy::startup::healthcheck(&settings.server) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("unhealthy: {e}");
                ExitCode::FAILURE
            }
        },
        Command::CheckConfig => match serde_json::to_string_pretty(&settings) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: cannot print the configuration: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn serve(settings: &Settings) -> ExitCode {
    if settings.cookies.keys().is_some_and(|k| k.is_ephemeral()) {
        log::warn!(
            "no key configured: protected cookies use a random key for this process and will not survive a restart; set APP_KEYS__CURRENT to the output of `cookie-policy keygen`"
        );
    }
    let result = actix_web::rt::System::new().block_on(async {
        let app = Application::build(settings)?;
        let addrs: Vec<String> = app.addrs().iter().map(|a| format!("http://{a}")).collect();
        log::info!(
            "cookie-policy listening on {} (profile: {})",
            addrs.join(", "),
            settings.profile
        );
        app.run_until_stopped().await
    });
    match result {
        Ok(()) => {
            log::info!("cookie-policy stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
