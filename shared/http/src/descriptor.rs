//! What drives each function: its routes (or other trigger) and the permission it checks.
//! The local server mounts descriptors; tests hold them to the OpenAPI document and the SAM
//! template.

use groups_domain::Permission;

/// CORS as the HTTP API answers it (the template's `CorsConfiguration`, held to these by a
/// test) and as the local server answers it.
pub const CORS_ALLOW_METHODS: [&str; 6] = ["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"];
pub const CORS_ALLOW_HEADERS: [&str; 3] = ["Authorization", "Content-Type", "If-Match"];
pub const CORS_EXPOSE_HEADERS: [&str; 2] = ["ETag", "Location"];
pub const CORS_MAX_AGE_SECONDS: u32 = 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// API Gateway route syntax: `/groups/{groupId}`.
    pub path: &'static str,
}

/// Event sources besides HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSource {
    /// The table's stream: user, membership and evaluation-request changes.
    TableStream,
    /// The EventBridge schedule of refreshes.
    Schedule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Http(&'static [Route]),
    /// Routes, and other event sources.
    HttpAndEvents(&'static [Route], &'static [EventSource]),
    /// API Gateway's Lambda authorizer.
    Authorizer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionDescriptor {
    /// The crate's name, which is also the function's name in the template.
    pub name: &'static str,
    pub trigger: Trigger,
    /// The permission it re-checks (`None`: it establishes identity itself).
    pub permission: Option<Permission>,
}

impl FunctionDescriptor {
    pub fn routes(&self) -> &'static [Route] {
        match self.trigger {
            Trigger::Http(routes) | Trigger::HttpAndEvents(routes, _) => routes,
            Trigger::Authorizer => &[],
        }
    }
}

impl Route {
    /// Matches a concrete path, answering the path parameters.
    pub fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let pattern: Vec<&str> = self.path.trim_matches('/').split('/').collect();
        let actual: Vec<&str> = path.trim_matches('/').split('/').collect();
        if pattern.len() != actual.len() {
            return None;
        }
        let mut params = Vec::new();
        for (p, a) in pattern.iter().zip(&actual) {
            match p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) if !a.is_empty() => params.push((name.to_owned(), (*a).to_owned())),
                Some(_) => return None,
                None if p == a => {}
                None => return None,
            }
        }
        Some(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_segments() {
        let r = Route {
            method: "GET",
            path: "/groups/{groupId}/members",
        };
        assert_eq!(
            r.matches("/groups/g1/members"),
            Some(vec![("groupId".to_owned(), "g1".to_owned())])
        );
        assert_eq!(r.matches("/groups//members"), None);
        assert_eq!(r.matches("/groups/g1"), None);
        assert_eq!(r.matches("/users/g1/members"), None);
    }
}
