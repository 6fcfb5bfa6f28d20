//! The attributes the policy gives one cookie name: its override, if any,
//! over the policy's defaults, resolved and validated once when the policy
//! is built, so that no request merges or checks them again.

use std::borrow::Cow;

use crate::config::{
    CookieOverride, CookiePolicyConfig, Lifetime, MAX_LIFETIME_SECONDS, Prefix, Priority,
    Protection, SameSite,
};
use crate::error::PolicyConfigError;
use crate::rules;

/// The attributes the policy writes for one cookie name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CookieAttributes {
    /// `Max-Age`, or a session cookie.
    pub max_age: Lifetime,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `Secure`.
    pub secure: bool,
    /// `SameSite`.
    pub same_site: SameSite,
    /// `Path`.
    pub path: String,
    /// `Domain`, lower case, without a leading dot; `None` for a host-only cookie.
    pub domain: Option<String>,
    /// `Partitioned`.
    pub partitioned: bool,
    /// `Priority`.
    pub priority: Option<Priority>,
    /// The declared name prefix, if any.
    pub prefix: Option<Prefix>,
    /// Duplicates are refused inbound (R20) and responses setting it are
    /// not cached (R22).
    pub sensitive: bool,
    /// How the value is protected, if it is.
    pub protection: Option<Protection>,
}

impl CookieAttributes {
    /// The name a cookie is sent under: the declared prefix in front of
    /// `name`, unless `name` already starts with it.
    pub(crate) fn wire_name<'n>(&self, name: Cow<'n, str>) -> Cow<'n, str> {
        match self.prefix {
            Some(p) if !name.starts_with(p.as_str()) => Cow::Owned(format!("{}{name}", p.as_str())),
            _ => name,
        }
    }

    /// The policy's defaults, validated; `key` names them in errors.
    pub(crate) fn defaults(c: &CookiePolicyConfig) -> Result<Self, PolicyConfigError> {
        let mut attrs = Self {
            max_age: c.max_age,
            http_only: c.http_only,
            secure: c.secure,
            same_site: c.same_site,
            path: c.path.clone(),
            domain: c.domain.clone(),
            partitioned: c.partitioned,
            priority: c.priority,
            prefix: None,
            sensitive: false,
            protection: None,
        };
        attrs.validate("cookies")?;
        Ok(attrs)
    }

    /// `o` over these defaults, validated; `key` is the override's
    /// configuration key, such as `cookies.overrides.sid`.
    pub(crate) fn with_override(
        &self,
        o: &CookieOverride,
        key: &str,
    ) -> Result<Self, PolicyConfigError> {
        let err = |field: &str, message: String| PolicyConfigError {
            key: format!("{key}.{field}"),
            message,
        };
        let guarded = o.prefix.is_some() || o.protection.is_some();
        if o.sensitive == Some(false) && guarded {
            return Err(err(
                "sensitive",
                "a prefixed or protected cookie is always sensitive; remove sensitive = false"
                    .to_owned(),
            ));
        }
        let mut attrs = Self {
            max_age: o.max_age.unwrap_or(self.max_age),
            http_only: o.http_only.unwrap_or(self.http_only),
            secure: o.secure.unwrap_or(self.secure),
            same_site: o.same_site.unwrap_or(self.same_site),
            path: o.path.clone().unwrap_or_else(|| self.path.clone()),
            domain: o.domain.clone().or_else(|| self.domain.clone()),
            partitioned: o.partitioned.unwrap_or(self.partitioned),
            priority: o.priority.or(self.priority),
            prefix: o.prefix,
            sensitive: o.sensitive.unwrap_or(guarded),
            protection: o.protection,
        };
        // A declared prefix's requirements (R7, R8): what the override itself
        // says against them is an error; what it only inherits is set right.
        if let Some(prefix) = o.prefix {
            let (name, rule) = match prefix {
                Prefix::Host => ("host", "R8"),
                Prefix::Secure => ("secure", "R7"),
            };
            let needs = |field: &str, what: &str| {
                err(
                    field,
                    format!("prefix = \"{name}\" requires {what} ({rule})"),
                )
            };
            if o.secure == Some(false) {
                return Err(needs("secure", "secure = true"));
            }
            attrs.secure = true;
            if prefix == Prefix::Host {
                if o.path.as_deref().is_some_and(|p| p != "/") {
                    return Err(needs("path", "path = \"/\""));
                }
                if o.domain.is_some() {
                    return Err(needs("domain", "no domain"));
                }
                attrs.path = "/".to_owned();
                attrs.domain = None;
            }
        }
        attrs.validate(key)?;
        Ok(attrs)
    }

    /// Checks the rules a configuration can break (R5, R6, R10, R11),
    /// normalizing `Domain`.
    fn validate(&mut self, key: &str) -> Result<(), PolicyConfigError> {
        let err = |field: &str, message: String| PolicyConfigError {
            key: format!("{key}.{field}"),
            message,
        };
        // Configuration files are checked when read (`Lifetime`'s
        // deserializer); a lifetime given in code is checked here.
        if let Lifetime::Seconds(s) = self.max_age
            && !(1..=MAX_LIFETIME_SECONDS).contains(&s)
        {
            return Err(err(
                "max_age",
                format!(
                    "{s} is not a number of seconds from 1 to {MAX_LIFETIME_SECONDS} (400 days), nor \"session\" (R12)"
                ),
            ));
        }
        if let Err((kind, message)) = rules::check_path(&self.path) {
            return Err(err("path", format!("{message} ({})", kind.rule())));
        }
        if let Some(domain) = &self.domain {
            let d =
                rules::normalize_domain(domain).map_err(|m| err("domain", format!("{m} (R6)")))?;
            if rules::is_public_suffix(&d) {
                return Err(err(
                    "domain",
                    format!(
                        "{d:?} is a public suffix, which browsers refuse as a cookie domain (R6)"
                    ),
                ));
            }
            self.domain = Some(d.into_owned());
        }
        if self.same_site == SameSite::None && !self.secure {
            return Err(err(
                "same_site",
                "same_site = \"none\" requires secure = true, or browsers ignore the cookie (R10)"
                    .to_owned(),
            ));
        }
        if self.partitioned && !self.secure {
            return Err(err(
                "partitioned",
                "partitioned = true requires secure = true, or browsers ignore the cookie (R11)"
                    .to_owned(),
            ));
        }
        if self.partitioned
            && (self.same_site != SameSite::None || self.prefix != Some(Prefix::Host))
        {
            // Legal, but CHIPS recommends both, and some browsers take
            // Partitioned only with SameSite=None (R11).
            log::warn!(
                "{key}: a partitioned cookie should have same_site = \"none\" and prefix = \"host\" (R11)"
            );
        }
        Ok(())
    }
}
