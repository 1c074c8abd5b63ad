//! What drives each function and what it needs: its routes (or other trigger), who may call it,
//! whether it publishes membership events, and the DynamoDB actions it performs. The local
//! server mounts descriptors and enforces their access; so does the Lambda entry point
//! ([`crate::lambda_main!`]); tests hold them to the OpenAPI document, the SAM template (routes,
//! environment, IAM) and the role matrix.

use groups_domain::{Caller, Error, Permission, Result};

/// CORS as the HTTP API answers it (the template's `CorsConfiguration`, held to these by a
/// test) and as the local server answers it.
pub const CORS_ALLOW_METHODS: [&str; 6] = ["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"];
pub const CORS_ALLOW_HEADERS: [&str; 3] = ["Authorization", "Content-Type", "If-Match"];
pub const CORS_EXPOSE_HEADERS: [&str; 3] = ["ETag", "Location", "Link"];
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

/// Who may call a function's routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// It establishes identity itself (the authorizer).
    Identity,
    /// Any signed-in caller.
    SignedIn,
    /// Callers holding every one of these.
    All(&'static [Permission]),
    /// Callers holding at least one of these.
    Any(&'static [Permission]),
    /// Identity providers with a SCIM token (`/scim/v2`), and no one else.
    Provisioning,
}

impl Access {
    /// `Forbidden` naming the (first) missing permission.
    pub fn check(&self, caller: &Caller) -> Result<()> {
        // Each door admits only its own callers: a SCIM token is no one on the admin API, and
        // a person's token is no one on SCIM.
        if caller.is_provisioner() != (*self == Access::Provisioning) {
            return Err(Error::Unauthenticated);
        }
        match self {
            Access::Provisioning => Ok(()),
            Access::Identity | Access::SignedIn => Ok(()),
            Access::All(all) => all.iter().try_for_each(|p| caller.require(*p)),
            Access::Any(any) => {
                if any.iter().any(|p| caller.permissions.contains(*p)) {
                    Ok(())
                } else {
                    any.first().map_or(Ok(()), |p| caller.require(*p))
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionDescriptor {
    /// The crate's name, which is also the function's name in the template.
    pub name: &'static str,
    pub trigger: Trigger,
    pub access: Access,
    /// Publishes membership events: the template gives it `EVENT_BUS_NAME` and
    /// `events:PutEvents` on the bus, and nothing else gets them.
    pub publishes: bool,
    /// The DynamoDB actions it performs: `GetItem` on the table, `Query GSI2` on an index.
    pub table: &'static [&'static str],
}

/// Refuses a request the descriptor does not let its caller make: 401 without an identity,
/// 403 without the permission. `None` lets the handler run.
pub fn refuse(
    descriptor: &FunctionDescriptor,
    req: &crate::Request,
) -> Option<crate::Response<crate::Body>> {
    let checked = crate::context::caller(req).and_then(|caller| descriptor.access.check(&caller));
    checked.err().map(|e: Error| match descriptor.access {
        Access::Provisioning => crate::scim::error_response(&e),
        _ => crate::HttpError::from(e).into_response(),
    })
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
        let mut params = Vec::new();
        // A greedy last segment (`{proxy+}`) takes the rest of the path, one segment or more.
        if let Some(last) = pattern.last()
            && let Some(name) = last.strip_prefix('{').and_then(|p| p.strip_suffix("+}"))
        {
            let fixed = pattern.len() - 1;
            if actual.len() <= fixed || actual[fixed..].iter().any(|a| a.is_empty()) {
                return None;
            }
            for (p, a) in pattern[..fixed].iter().zip(&actual) {
                match p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    Some(n) if !a.is_empty() => params.push((n.to_owned(), (*a).to_owned())),
                    Some(_) => return None,
                    None if p == a => {}
                    None => return None,
                }
            }
            params.push((name.to_owned(), actual[fixed..].join("/")));
            return Some(params);
        }
        if pattern.len() != actual.len() {
            return None;
        }
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
        let greedy = Route {
            method: "GET",
            path: "/scim/v2/{proxy+}",
        };
        assert_eq!(
            greedy.matches("/scim/v2/Users/u1"),
            Some(vec![("proxy".to_owned(), "Users/u1".to_owned())])
        );
        assert_eq!(greedy.matches("/scim/v2"), None);
        assert_eq!(greedy.matches("/scim/v3/Users"), None);
    }
}
