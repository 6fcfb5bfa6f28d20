//! Settings: layered loading, validation and the profile rules.
//!
//! Layers, each over the one before:
//! 1. `config/default.toml` (required),
//! 2. `config/<APP_ENV>.toml` (`development` when `APP_ENV` is unset, or
//!    `production`; optional),
//! 3. environment variables `APP_<SECTION>__<KEY>`, such as
//!    `APP_SERVER__PORT=9000` or `APP_COOKIES__SECURE=true`.
//!
//! `APP_CONFIG_DIR` names another configuration folder. Every problem is
//! reported with the key and the file or variable it came from.
//!
//! Layering is [figment]'s job; this module only says what the layers are and
//! how to report their errors.

use std::fmt;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::{Deserialize, Serialize};

use actix_cookie_policy::{CookiePolicy, CookiePolicyConfig, KeyError, KeyRing};

/// The environment variable that selects the profile.
pub const PROFILE_VAR: &str = "APP_ENV";
/// The environment variable that names the configuration folder.
pub const CONFIG_DIR_VAR: &str = "APP_CONFIG_DIR";
/// The prefix of environment variables that override configuration keys.
pub const ENV_PREFIX: &str = "APP_";
/// The most worker threads actix-web's server accepts.
pub const MAX_WORKERS: usize = 512;

/// The deployment profile, from `APP_ENV`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Local development: cookies without `Secure`, violations explained in
    /// error bodies. The default.
    #[default]
    Development,
    /// Production: `Secure` cookies are required.
    Production,
}

impl Profile {
    /// The profile's name, which is also its configuration file's stem.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Development => "development",
            Profile::Production => "production",
        }
    }

    /// Reads a profile name as `APP_ENV` gives it.
    pub fn parse(name: &str) -> Result<Self, SettingsError> {
        match name {
            "development" => Ok(Profile::Development),
            "production" => Ok(Profile::Production),
            other => Err(SettingsError::UnknownProfile(other.to_owned())),
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `[server]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// The address to listen on. Default: `127.0.0.1`.
    pub host: String,
    /// The port to listen on; 0 binds an ephemeral port. Default: `8080`.
    pub port: u16,
    /// Worker threads, 1 to 512; absent means one per CPU core.
    pub workers: Option<NonZeroUsize>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 8080,
            workers: None,
        }
    }
}

/// The `[playground]` table: the httpbin-style routes `GET /cookies`,
/// `/cookies/set` and `/cookies/delete`, for trying the policy with curl.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlaygroundSettings {
    /// Serve the playground's routes; when off they answer 404 like any
    /// unknown path. They show any client its cookies with protected values
    /// opened, and seal any value it chooses under any cookie name, protected
    /// ones included: a tool for trying the policy, never part of an
    /// application. Default: `false`; `config/development.toml` turns it on.
    pub enabled: bool,
}

/// Everything the server is configured with.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// The profile these settings were loaded for.
    pub profile: Profile,
    /// `[server]`.
    pub server: ServerSettings,
    /// `[cookies]` with `[keys]`: the validated cookie policy.
    pub cookies: CookiePolicy,
    /// `[keys]`: the keys of protected cookies (printed redacted).
    pub keys: KeySettings,
    /// `[playground]`.
    pub playground: PlaygroundSettings,
}

/// The configuration as the layers give it, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Layers {
    #[serde(default)]
    server: ServerSettings,
    #[serde(default)]
    cookies: CookiePolicyConfig,
    #[serde(default)]
    keys: KeySettings,
    #[serde(default)]
    playground: PlaygroundSettings,
}

/// The `[keys]` table: base64 keys of at least 32 random bytes, from
/// `cookie-policy keygen`. Never printed.
#[derive(Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeySettings {
    /// The key that protects new cookies (and verifies). Environment:
    /// `APP_KEYS__CURRENT`.
    pub current: Option<String>,
    /// Keys that only verify, newest first, so cookies issued before a
    /// rotation still read (and are re-issued with `current`). Environment:
    /// `APP_KEYS__PREVIOUS='["<key>", ...]'`, or one key as is.
    #[serde(deserialize_with = "one_or_many")]
    pub previous: Vec<String>,
    /// The application's name in the key derivation, so that another app
    /// given the same keys cannot read or forge this one's cookies (see
    /// `KeyRing::with_context`). Not secret. Changing it invalidates every
    /// protected cookie. Default: empty. Environment: `APP_KEYS__CONTEXT`.
    pub context: String,
}

/// One string as a list of one: `APP_KEYS__PREVIOUS=<key>` is the natural
/// way to give one previous key.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    // The error names the expected shape, never the value (it may be a key).
    match OneOrMany::deserialize(d) {
        Ok(OneOrMany::One(key)) => Ok(vec![key]),
        Ok(OneOrMany::Many(keys)) => Ok(keys),
        Err(_) => Err(serde::de::Error::custom("expected a key or a list of keys")),
    }
}

impl fmt::Debug for KeySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySettings")
            .field("current", &self.current.as_ref().map(|_| "<redacted>"))
            .field("previous", &self.previous.len())
            .field("context", &self.context)
            .finish()
    }
}

impl Serialize for KeySettings {
    /// Says which keys are set, never what they are.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = serializer.serialize_struct("KeySettings", 3)?;
        st.serialize_field("current", &self.current.as_ref().map(|_| "<redacted>"))?;
        st.serialize_field("previous", &vec!["<redacted>"; self.previous.len()])?;
        st.serialize_field("context", &self.context)?;
        st.end()
    }
}

/// Why settings could not be loaded. Each message names the key and where
/// its value came from, and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// `APP_ENV` names no known profile.
    #[error("{PROFILE_VAR}={0:?} is not a profile; use `development` or `production`")]
    UnknownProfile(String),
    /// The configuration folder or its `default.toml` is missing.
    #[error(
        "configuration file {} not found; run from the project folder or set {CONFIG_DIR_VAR} to the folder that holds default.toml",
        .0.display()
    )]
    MissingDefaults(PathBuf),
    /// One or more keys have bad values.
    #[error("invalid configuration:\n{}", .0.join("\n"))]
    Invalid(Vec<String>),
    /// Protected cookies in production with no key configured.
    #[error(
        "the production profile needs a key for protected cookies ({0}): set APP_KEYS__CURRENT (or keys.current) to the output of `cookie-policy keygen`"
    )]
    MissingKey(String),
    /// The production profile with cookies that may go out without `Secure`.
    #[error(
        "the production profile refuses cookies without Secure ({0}); set cookies.secure = true, or opt out with cookies.allow_insecure_in_production = true"
    )]
    InsecureProduction(String),
}

impl Settings {
    /// Loads settings the way the server does: the profile from `APP_ENV`,
    /// the folder from `APP_CONFIG_DIR` (default `config`), then the files
    /// and the `APP_*` environment variables.
    pub fn load() -> Result<Self, SettingsError> {
        let profile = match std::env::var(PROFILE_VAR) {
            Ok(name) => Profile::parse(&name)?,
            Err(_) => Profile::default(),
        };
        let dir = std::env::var_os(CONFIG_DIR_VAR)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("config"));
        Self::load_from(&dir, profile)
    }

    /// Loads settings from the folder `dir` for `profile`, with the `APP_*`
    /// environment variables on top.
    pub fn load_from(dir: &Path, profile: Profile) -> Result<Self, SettingsError> {
        Self::from_figment(Self::figment(dir, profile)?, profile)
    }

    /// Loads settings from the files in `dir` for `profile` alone, ignoring
    /// the environment: what tests want, so a developer's shell cannot change
    /// their outcome.
    pub fn load_files(dir: &Path, profile: Profile) -> Result<Self, SettingsError> {
        Self::from_figment(Self::file_figment(dir, profile)?, profile)
    }

    /// Extracts and validates settings from any layers (for example
    /// [`Settings::file_figment`] with a test key merged on top).
    pub fn from_figment(figment: Figment, profile: Profile) -> Result<Self, SettingsError> {
        let layers: Layers = figment
            .extract()
            .map_err(|e| SettingsError::Invalid(describe(&figment, e)))?;
        check_profile_rules(profile, &layers, &figment)?;
        let keys = key_ring(profile, &layers, &figment)?;
        let cookies = CookiePolicy::new(layers.cookies, keys).map_err(|e| {
            SettingsError::Invalid(vec![format!(
                "  {}: {} ({})",
                e.key,
                e.message,
                origin(&figment, &e.key)
            )])
        })?;
        Ok(Settings {
            profile,
            server: layers.server,
            cookies,
            keys: layers.keys,
            playground: layers.playground,
        })
    }

    /// The warning the server logs at start-up when the production profile
    /// serves the playground, saying what that exposes; `None` otherwise.
    pub fn playground_warning(&self) -> Option<String> {
        if self.profile != Profile::Production || !self.playground.enabled {
            return None;
        }
        let protected: Vec<&str> = (self.cookies.config().overrides.iter())
            .filter(|(_, o)| o.protection.is_some())
            .map(|(name, _)| name.as_str())
            .collect();
        let sealed = if protected.is_empty() {
            String::new()
        } else {
            format!(
                ", protected ones ({}) with values it chooses, sealed with this server's key",
                protected.join(", ")
            )
        };
        Some(format!(
            "the playground is on in the production profile (playground.enabled = true): GET /cookies shows any client the cookies it sends with private values decrypted, and GET /cookies/set and /cookies/delete let it set or remove any cookie{sealed}; set playground.enabled = false (APP_PLAYGROUND__ENABLED=false) unless this server is a demo"
        ))
    }

    /// The warnings the server logs at start-up about its keys: in the
    /// development profile, keys that are obviously not random (production
    /// refuses them).
    pub fn key_warnings(&self) -> Vec<String> {
        let weak = self
            .cookies
            .keys()
            .map(KeyRing::weaknesses)
            .unwrap_or_default();
        weak.iter()
            .map(|e| {
                format!(
                    "keys.{}: {}; the production profile refuses such a key",
                    e.which(),
                    e.problem()
                )
            })
            .collect()
    }

    /// The layers, in order, for `dir` and `profile`.
    pub fn figment(dir: &Path, profile: Profile) -> Result<Figment, SettingsError> {
        Ok(Self::file_figment(dir, profile)?.merge(
            Env::prefixed(ENV_PREFIX)
                .ignore(&["ENV", "CONFIG_DIR"])
                .split("__"),
        ))
    }

    /// The file layers alone, without the environment.
    pub fn file_figment(dir: &Path, profile: Profile) -> Result<Figment, SettingsError> {
        let defaults = dir.join("default.toml");
        if !defaults.is_file() {
            return Err(SettingsError::MissingDefaults(defaults));
        }
        let mut figment = Figment::from(Toml::file_exact(defaults));
        let profile_file = dir.join(format!("{profile}.toml"));
        if profile_file.is_file() {
            figment = figment.merge(Toml::file_exact(profile_file));
        }
        Ok(figment)
    }
}

/// The profile's rules: a worker count the server can run, and in
/// production generic error bodies and `Secure` cookies (unless opted out).
fn check_profile_rules(
    profile: Profile,
    layers: &Layers,
    figment: &Figment,
) -> Result<(), SettingsError> {
    if let Some(workers) = layers.server.workers
        && workers.get() > MAX_WORKERS
    {
        return Err(SettingsError::Invalid(vec![format!(
            "  server.workers: {workers} is more than the {MAX_WORKERS} workers the server can run ({})",
            origin(figment, "server.workers")
        )]));
    }
    let cookies = &layers.cookies;
    if profile != Profile::Production {
        return Ok(());
    }
    if cookies.explain_violations {
        return Err(SettingsError::Invalid(vec![format!(
            "  cookies.explain_violations: the production profile keeps error bodies generic (the log has the detail); remove explain_violations = true ({})",
            origin(figment, "cookies.explain_violations")
        )]));
    }
    let mut insecure: Vec<String> = Vec::new();
    if !cookies.secure {
        insecure.push("cookies.secure".to_owned());
    }
    for (name, o) in &cookies.overrides {
        if o.secure == Some(false) {
            insecure.push(format!("cookies.overrides.{name}.secure"));
        }
    }
    if insecure.is_empty() || cookies.allow_insecure_in_production {
        return Ok(());
    }
    let described: Vec<String> = insecure
        .iter()
        .map(|k| format!("{k} = false {}", origin(figment, k)))
        .collect();
    Err(SettingsError::InsecureProduction(described.join(", ")))
}

/// The key ring of `[keys]`. Without a configured key, protected cookies
/// get a random key for this process in development (the layer warns), and
/// the production profile refuses to start.
fn key_ring(
    profile: Profile,
    layers: &Layers,
    figment: &Figment,
) -> Result<Option<KeyRing>, SettingsError> {
    let keys = &layers.keys;
    let Some(current) = &keys.current else {
        if !keys.previous.is_empty() {
            return Err(SettingsError::Invalid(vec![format!(
                "  keys.previous: previous keys only verify; set keys.current too ({})",
                origin(figment, "keys.previous")
            )]));
        }
        let protected: Vec<&str> = (layers.cookies.overrides.iter())
            .filter(|(_, o)| o.protection.is_some())
            .map(|(name, _)| name.as_str())
            .collect();
        if protected.is_empty() {
            return Ok(None);
        }
        if profile == Profile::Production {
            return Err(SettingsError::MissingKey(protected.join(", ")));
        }
        return KeyRing::ephemeral()
            .map(Some)
            .map_err(|e| SettingsError::Invalid(vec![format!("  keys: {e}")]));
    };
    let previous: Vec<&str> = keys.previous.iter().map(String::as_str).collect();
    let ring = KeyRing::from_base64(current, &previous)
        .map_err(|e| SettingsError::Invalid(vec![key_problem(&e, figment)]))?
        .with_context(&keys.context);
    if profile == Profile::Production && !ring.weaknesses().is_empty() {
        let lines = ring.weaknesses().iter().map(|e| key_problem(e, figment));
        return Err(SettingsError::Invalid(lines.collect()));
    }
    Ok(Some(ring))
}

/// One line on a key: which, what is wrong, what to do, where it came from;
/// never the key itself.
fn key_problem(e: &KeyError, figment: &Figment) -> String {
    let key = if e.which() == "current" {
        "keys.current"
    } else {
        "keys.previous"
    };
    let advice = if e.wants_a_new_key() {
        "; generate one with `cookie-policy keygen`"
    } else {
        ""
    };
    format!(
        "  keys.{}: {}{advice} ({})",
        e.which(),
        e.problem(),
        origin(figment, key)
    )
}

/// Where the value of `key` came from: "in <file>" or "from <VARIABLE>".
fn origin(figment: &Figment, key: &str) -> String {
    let Some(md) = figment.find_metadata(key) else {
        return "(default)".to_owned();
    };
    if let Some(path) = md.source.as_ref().and_then(|s| s.file_path()) {
        return format!("in {}", path.display());
    }
    if md.name.contains("environment") {
        // figment's own interpolation prints `SERVER.PORT`; name the real variable.
        return format!(
            "from {ENV_PREFIX}{}",
            key.replace('.', "__").to_ascii_uppercase()
        );
    }
    format!("from {}", md.name)
}

/// One line per figment error: the key, what is wrong, and where it came from.
fn describe(figment: &Figment, err: figment::Error) -> Vec<String> {
    use figment::error::Kind;
    err.into_iter()
        .map(|e| {
            let what = match &e.kind {
                Kind::UnknownVariant(found, expected) => {
                    format!(
                        "unknown value {found:?}; expected one of {}",
                        one_of(expected)
                    )
                }
                Kind::UnknownField(found, expected) => {
                    format!(
                        "unknown key {found:?}; expected one of {}",
                        one_of(expected)
                    )
                }
                kind => kind.to_string(),
            };
            let key = e.path.join(".");
            if key.is_empty() {
                // A file that does not parse: no key, but the file is known.
                // The parser quotes the line, which may hold a key: only its
                // number is kept.
                let what = without_quoted_lines(&what);
                let file = e
                    .metadata
                    .as_ref()
                    .and_then(|m| m.source.as_ref())
                    .and_then(|s| s.file_path());
                return match file {
                    Some(path) => format!("  {}: {what}", path.display()),
                    None => format!("  {what}"),
                };
            }
            let what = match &e.kind {
                // Any value under [keys] may be a key: never shown.
                Kind::InvalidType(_, expected) | Kind::InvalidValue(_, expected)
                    if key == "keys" || key.starts_with("keys.") =>
                {
                    format!("expected {expected} (the value is not shown: it may be a key)")
                }
                _ => what,
            };
            format!("  {key}: {what} ({})", origin(figment, &key))
        })
        .collect()
}

/// A parser's message without the lines it quotes from the file
/// (`12 | current = "...`, and the caret under it), joined into one line.
fn without_quoted_lines(message: &str) -> String {
    let quoted = |line: &str| {
        let (gutter, _) = line.split_once('|').unwrap_or((line, ""));
        line.contains('|') && gutter.trim().chars().all(|c| c.is_ascii_digit())
    };
    let kept: Vec<&str> = message
        .lines()
        .filter(|l| !quoted(l) && !l.trim().is_empty())
        .collect();
    kept.join("; ")
}

/// `"a", "b", "c"`: the names serde expects, each once whatever its case
/// (the policy's enums also accept the header's spelling, `Lax` for `lax`).
fn one_of(expected: &[&str]) -> String {
    let mut names: Vec<String> = Vec::new();
    for name in expected {
        let name = name.to_ascii_lowercase();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    quoted.join(", ")
}

#[cfg(test)]
// figment's Jail closures return figment's own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use actix_cookie_policy::SameSite;
    use figment::Jail;

    fn load(jail: &Jail, profile: Profile) -> Result<Settings, SettingsError> {
        Settings::load_from(&jail.directory().join("config"), profile)
    }

    fn files(jail: &mut Jail, default: &str, development: &str) {
        jail.create_dir("config").unwrap();
        jail.create_file("config/default.toml", default).unwrap();
        jail.create_file("config/development.toml", development)
            .unwrap();
    }

    #[test]
    fn the_profile_file_overrides_the_defaults_and_the_environment_overrides_both() {
        Jail::expect_with(|jail| {
            files(
                jail,
                "[server]\nport = 1\nhost = \"127.0.0.1\"\n[cookies]\nsecure = true",
                "[server]\nport = 2\n[cookies]\nsecure = false",
            );
            let s = load(jail, Profile::Development).unwrap();
            assert_eq!((s.server.port, s.cookies.config().secure), (2, false));
            jail.set_env("APP_SERVER__PORT", "3");
            jail.set_env("APP_COOKIES__SAME_SITE", "strict");
            let s = load(jail, Profile::Development).unwrap();
            assert_eq!(s.server.port, 3);
            assert_eq!(s.cookies.config().same_site, SameSite::Strict);
            assert_eq!(s.server.host, "127.0.0.1");
            Ok(())
        });
    }

    #[test]
    fn app_env_and_app_config_dir_are_not_configuration_keys() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            jail.set_env("APP_ENV", "development");
            jail.set_env("APP_CONFIG_DIR", "config");
            let s = Settings::load().unwrap();
            assert_eq!(s.profile, Profile::Development);
            assert_eq!(s.server, ServerSettings::default());
            Ok(())
        });
    }

    #[test]
    fn a_missing_default_file_says_where_it_looked() {
        Jail::expect_with(|jail| {
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert!(e.starts_with("configuration file "), "{e}");
            assert!(e.ends_with("config/default.toml not found; run from the project folder or set APP_CONFIG_DIR to the folder that holds default.toml"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn an_unknown_profile_is_refused() {
        assert_eq!(
            Profile::parse("staging").unwrap_err().to_string(),
            "APP_ENV=\"staging\" is not a profile; use `development` or `production`"
        );
    }

    #[test]
    fn the_playground_is_off_unless_a_layer_turns_it_on() {
        Jail::expect_with(|jail| {
            files(jail, "", "[playground]\nenabled = true");
            assert!(load(jail, Profile::Development).unwrap().playground.enabled);
            assert!(!load(jail, Profile::Production).unwrap().playground.enabled);
            jail.set_env("APP_PLAYGROUND__ENABLED", "true");
            assert!(load(jail, Profile::Production).unwrap().playground.enabled);
            Ok(())
        });
    }

    #[test]
    fn production_serving_the_playground_warns_naming_the_protected_cookies() {
        Jail::expect_with(|jail| {
            files(
                jail,
                "[playground]\nenabled = true\n[cookies.overrides.session]\nprotection = \"private\"\n[cookies.overrides.prefs]\nprotection = \"signed\"",
                "",
            );
            jail.set_env("APP_KEYS__CURRENT", KEY);
            assert_eq!(
                load(jail, Profile::Development)
                    .unwrap()
                    .playground_warning(),
                None,
                "development is what the playground is for"
            );
            assert_eq!(
                load(jail, Profile::Production)
                    .unwrap()
                    .playground_warning()
                    .as_deref(),
                Some(
                    "the playground is on in the production profile (playground.enabled = true): GET /cookies shows any client the cookies it sends with private values decrypted, and GET /cookies/set and /cookies/delete let it set or remove any cookie, protected ones (prefs, session) with values it chooses, sealed with this server's key; set playground.enabled = false (APP_PLAYGROUND__ENABLED=false) unless this server is a demo"
                )
            );
            jail.set_env("APP_PLAYGROUND__ENABLED", "false");
            assert_eq!(
                load(jail, Profile::Production)
                    .unwrap()
                    .playground_warning(),
                None
            );
            Ok(())
        });
    }

    #[test]
    fn errors_name_the_key_and_the_file_it_came_from() {
        Jail::expect_with(|jail| {
            files(
                jail,
                "[server]\nport = 1",
                "[cookies]\nsame_site = \"loose\"",
            );
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert!(e.starts_with("invalid configuration:\n  cookies.same_site: unknown value \"loose\"; expected one of \"strict\", \"lax\", \"none\" (in "), "{e}");
            assert!(e.ends_with("config/development.toml)"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn errors_name_the_environment_variable_they_came_from() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            jail.set_env("APP_SERVER__PORT", "eighty");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  server.port: invalid type: found string \"eighty\", expected u16 (from APP_SERVER__PORT)"
            );
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_refused_naming_the_key() {
        Jail::expect_with(|jail| {
            files(jail, "[server]\nprot = 1", "");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert!(
                e.starts_with("invalid configuration:\n  server.prot: unknown key \"prot\"; expected one of \"host\", \"port\", \"workers\" (in "),
                "{e}"
            );
            assert!(e.ends_with("config/default.toml)"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn policy_errors_name_the_exact_key() {
        Jail::expect_with(|jail| {
            files(jail, "", "[cookies.overrides.sid]\npath = \"app\"");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert!(e.starts_with("invalid configuration:\n  cookies.overrides.sid.path: a path must start with '/', got \"app\" (R5) (in "), "{e}");
            assert!(e.ends_with("config/development.toml)"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn production_refuses_insecure_cookies_unless_opted_out() {
        Jail::expect_with(|jail| {
            files(
                jail,
                "[cookies]\nsecure = true\n[cookies.overrides.theme]\nsecure = false",
                "",
            );
            let e = load(jail, Profile::Production).unwrap_err().to_string();
            assert!(e.starts_with("the production profile refuses cookies without Secure (cookies.overrides.theme.secure = false in "), "{e}");
            jail.set_env("APP_COOKIES__SECURE", "false");
            let e = load(jail, Profile::Production).unwrap_err().to_string();
            assert!(
                e.contains("cookies.secure = false from APP_COOKIES__SECURE, "),
                "{e}"
            );
            jail.set_env("APP_COOKIES__ALLOW_INSECURE_IN_PRODUCTION", "true");
            assert!(load(jail, Profile::Production).is_ok());
            Ok(())
        });
    }

    #[test]
    fn a_file_that_does_not_parse_is_named() {
        Jail::expect_with(|jail| {
            files(jail, "", "[cookies\nsecure = false");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert!(e.starts_with("invalid configuration:\n  /"), "{e}");
            assert!(
                e.contains("config/development.toml: TOML parse error at line 1, column 9"),
                "{e}"
            );
            Ok(())
        });
    }

    #[test]
    fn too_many_workers_are_refused_instead_of_panicking() {
        Jail::expect_with(|jail| {
            files(jail, "[server]\nworkers = 513", "");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert!(e.starts_with("invalid configuration:\n  server.workers: 513 is more than the 512 workers the server can run (in "), "{e}");
            Ok(())
        });
    }

    #[test]
    fn production_refuses_to_explain_violations_in_bodies() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            jail.set_env("APP_COOKIES__EXPLAIN_VIOLATIONS", "true");
            let e = load(jail, Profile::Production).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  cookies.explain_violations: the production profile keeps error bodies generic (the log has the detail); remove explain_violations = true (from APP_COOKIES__EXPLAIN_VIOLATIONS)"
            );
            assert!(load(jail, Profile::Development).is_ok());
            Ok(())
        });
    }

    #[test]
    fn load_files_ignores_the_environment() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            jail.set_env("APP_SERVER__PORT", "1234");
            let dir = jail.directory().join("config");
            assert_eq!(
                Settings::load_files(&dir, Profile::Development)
                    .unwrap()
                    .server
                    .port,
                8080
            );
            assert_eq!(
                Settings::load_from(&dir, Profile::Development)
                    .unwrap()
                    .server
                    .port,
                1234
            );
            Ok(())
        });
    }

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const OTHER_KEY: &str = "8PHy8/T19vf4+fr7/P3+/+Dh4uPk5ebn6Onq6+zt7u8=";

    #[test]
    fn production_refuses_protected_cookies_without_a_key_in_one_line() {
        Jail::expect_with(|jail| {
            files(
                jail,
                "[cookies.overrides.session]\nprotection = \"private\"",
                "",
            );
            let e = load(jail, Profile::Production).unwrap_err().to_string();
            assert_eq!(
                e,
                "the production profile needs a key for protected cookies (session): set APP_KEYS__CURRENT (or keys.current) to the output of `cookie-policy keygen`"
            );
            let dev = load(jail, Profile::Development).unwrap();
            assert!(
                dev.cookies.keys().is_some_and(|k| k.is_ephemeral()),
                "development makes up a key"
            );
            jail.set_env("APP_KEYS__CURRENT", KEY);
            let prod = load(jail, Profile::Production).unwrap();
            assert!(prod.cookies.keys().is_some_and(|k| !k.is_ephemeral()));
            Ok(())
        });
    }

    #[test]
    fn short_or_malformed_keys_are_refused_naming_the_key() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            jail.set_env("APP_KEYS__CURRENT", "c2hvcnQ=");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  keys.current: is 5 bytes; a key needs at least 32 random bytes; generate one with `cookie-policy keygen` (from APP_KEYS__CURRENT)"
            );
            jail.set_env("APP_KEYS__CURRENT", KEY);
            jail.set_env("APP_KEYS__PREVIOUS", "[\"not base64!\"]");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  keys.previous[0]: is not base64; generate one with `cookie-policy keygen` (from APP_KEYS__PREVIOUS)"
            );
            Ok(())
        });
    }

    #[test]
    fn one_previous_key_may_be_given_as_a_plain_string() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            jail.set_env("APP_KEYS__CURRENT", OTHER_KEY);
            jail.set_env("APP_KEYS__PREVIOUS", KEY);
            let s = load(jail, Profile::Development).unwrap();
            assert_eq!(s.keys.previous, [KEY]);
            // A value of the wrong shape is refused without being shown.
            jail.set_env("APP_KEYS__PREVIOUS", format!("{{a = \"{KEY}\"}}"));
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  keys.previous: expected a key or a list of keys (from APP_KEYS__PREVIOUS)"
            );
            jail.set_env("APP_KEYS__CURRENT", format!("[\"{KEY}\"]"));
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert!(!e.contains(KEY), "{e}");
            assert!(
                e.contains("  keys.current: expected a string (the value is not shown: it may be a key) (from APP_KEYS__CURRENT)"),
                "{e}"
            );
            Ok(())
        });
    }

    #[test]
    fn a_syntax_error_on_a_key_line_does_not_show_the_line() {
        Jail::expect_with(|jail| {
            files(jail, &format!("[keys]\ncurrent = \"{KEY}\n"), "");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            let file = jail.directory().join("config/default.toml");
            assert_eq!(
                e,
                format!(
                    "invalid configuration:\n  {}: TOML parse error at line 2, column 56; invalid basic string",
                    file.display()
                )
            );
            Ok(())
        });
    }

    #[test]
    fn keys_that_are_not_random_are_refused_in_production_and_warned_of_in_development() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            let zeros = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
            jail.set_env("APP_KEYS__CURRENT", zeros);
            let e = load(jail, Profile::Production).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  keys.current: is one byte repeated, not random; use 32 random bytes, base64-encoded; generate one with `cookie-policy keygen` (from APP_KEYS__CURRENT)"
            );
            let dev = load(jail, Profile::Development).unwrap();
            assert_eq!(
                dev.key_warnings(),
                [
                    "keys.current: is one byte repeated, not random; use 32 random bytes, base64-encoded; the production profile refuses such a key"
                ]
            );
            // A key listed twice: a new key is not the remedy.
            jail.set_env("APP_KEYS__CURRENT", KEY);
            jail.set_env("APP_KEYS__PREVIOUS", KEY);
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  keys.previous[0]: is the same key as current; list each key once (from APP_KEYS__PREVIOUS)"
            );
            Ok(())
        });
    }

    #[test]
    fn the_application_context_goes_into_the_key_ring() {
        Jail::expect_with(|jail| {
            files(jail, "[keys]\ncontext = \"shop\"", "");
            jail.set_env("APP_KEYS__CURRENT", KEY);
            let s = load(jail, Profile::Production).unwrap();
            assert_eq!(s.cookies.keys().map(KeyRing::context), Some("shop"));
            assert_eq!(s.keys.context, "shop");
            Ok(())
        });
    }

    #[test]
    fn keys_are_never_printed() {
        Jail::expect_with(|jail| {
            files(
                jail,
                &format!("[keys]\ncurrent = \"{KEY}\"\nprevious = [\"{OTHER_KEY}\"]"),
                "",
            );
            let s = load(jail, Profile::Development).unwrap();
            let json = serde_json::to_string(&s.keys).unwrap();
            assert_eq!(
                json,
                r#"{"current":"<redacted>","previous":["<redacted>"],"context":""}"#
            );
            assert!(!format!("{s:?}").contains(KEY));
            assert!(!format!("{s:?}").contains(OTHER_KEY));
            Ok(())
        });
    }

    #[test]
    fn zero_workers_is_refused() {
        Jail::expect_with(|jail| {
            files(jail, "[server]\nworkers = 0", "");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert!(
                e.contains(
                    "server.workers: invalid value signed int `0`, expected a nonzero usize"
                ),
                "{e}"
            );
            Ok(())
        });
    }
}
