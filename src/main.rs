//! The `cookie-policy` server: settings, logging, subcommands, run.

use std::process::ExitCode;

use actix_cookie_policy::KeyRing;
use clap::{Parser, Subcommand};
use cookie_policy::settings::Settings;
use cookie_policy::startup::Application;

/// What `--help` says after the commands: where the configuration comes from.
const CONFIGURATION: &str = "\
Configuration, each layer over the one before:
  1. $APP_CONFIG_DIR/default.toml (APP_CONFIG_DIR defaults to ./config)
  2. $APP_CONFIG_DIR/$APP_ENV.toml (APP_ENV: development, the default, or production)
  3. environment variables APP_<SECTION>__<KEY>, such as APP_SERVER__PORT=9000,
     APP_COOKIES__SAME_SITE=strict or APP_KEYS__CURRENT=<key from `keygen`>

The production profile needs a key for protected cookies, inline or in a file
of one key a line (the current one first, then previous ones):
  APP_ENV=production APP_KEYS__CURRENT=\"$(cookie-policy keygen)\" cookie-policy
  APP_ENV=production APP_KEYS__FILE=/run/secrets/cookie-keys cookie-policy
SIGHUP re-reads the keys and rotates them without a restart; SIGTERM and
SIGINT stop gracefully.

Logging: RUST_LOG (default info), for example RUST_LOG=debug.";

/// Serves the FastAPI cookie guide's endpoints through one typed cookie policy.
#[derive(Debug, Parser)]
#[command(version, about, after_help = CONFIGURATION)]
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
        return match KeyRing::generate_key() {
            Ok(key) => {
                println!("{key}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: cannot make a key: {e}");
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
    let result = actix_web::rt::System::new().block_on(async {
        let app = Application::build(settings)?.reload_keys_on_sighup(Settings::load);
        let addrs: Vec<String> = app.addrs().iter().map(|a| format!("http://{a}")).collect();
        log::info!(
            "cookie-policy listening on {} (profile: {})",
            addrs.join(", "),
            settings.profile
        );
        for addr in app.metrics_addrs() {
            log::info!("metrics on http://{addr}/metrics");
        }
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
