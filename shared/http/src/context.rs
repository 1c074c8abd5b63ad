//! The caller's identity travels from the authorizer to the functions in the API Gateway
//! authorizer context (`requestContext.authorizer.lambda`). The encoding lives here so that
//! the authorizer writes exactly what the functions read.

use groups_domain::{
    AccountId, Caller, DepartmentId, Error, Permission, PermissionSet, Result, RoleRef, Scope,
    UserId,
};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde_json::{Map, Value};

const ACCOUNT: &str = "accountId";
const USER: &str = "userId";
const ROLE: &str = "role";
const PERMISSIONS: &str = "permissions";
const SCOPE: &str = "scope";
const KIND: &str = "kind";
const TOKEN: &str = "tokenId";
/// The `kind` of a SCIM token's context; a person's context has no `kind`.
const PROVISIONING: &str = "scim";

/// The authorizer context for a SCIM token: its account and id, nothing a person's context
/// holds, so no admin function reads it as a caller.
pub fn encode_provisioner(account: &AccountId, token_id: &str) -> Map<String, Value> {
    Map::from_iter([
        (KIND.to_owned(), Value::from(PROVISIONING)),
        (ACCOUNT.to_owned(), Value::from(account.as_str())),
        (TOKEN.to_owned(), Value::from(token_id)),
    ])
}

/// The authorizer context for an authenticated caller. Values are strings so they pass any
/// authorizer payload format unchanged.
pub fn encode(caller: &Caller) -> Map<String, Value> {
    let permissions: Vec<&str> = caller.permissions.iter().map(Permission::name).collect();
    let scope = match &caller.scope {
        Scope::Account => "account".to_owned(),
        Scope::Departments(ids) => {
            let ids: Vec<&str> = ids.iter().map(DepartmentId::as_str).collect();
            format!("departments:{}", ids.join(","))
        }
    };
    Map::from_iter([
        (ACCOUNT.to_owned(), Value::from(caller.account_id.as_str())),
        (USER.to_owned(), Value::from(caller.user_id.as_str())),
        (ROLE.to_owned(), Value::from(caller.role.as_str())),
        (PERMISSIONS.to_owned(), Value::from(permissions.join(","))),
        (SCOPE.to_owned(), Value::from(scope)),
    ])
}

/// Reads a caller back from an authorizer context; any gap means "not authenticated".
pub fn decode(fields: &std::collections::HashMap<String, Value>) -> Result<Caller> {
    let get = |key: &str| {
        fields
            .get(key)
            .and_then(Value::as_str)
            .ok_or(Error::Unauthenticated)
    };
    let account_id =
        AccountId::parse(ACCOUNT, get(ACCOUNT)?).map_err(|_| Error::Unauthenticated)?;
    match fields.get(KIND).map(|k| k.as_str()) {
        None => {}
        Some(Some(PROVISIONING)) => {
            let token = UserId::parse(TOKEN, get(TOKEN)?).map_err(|_| Error::Unauthenticated)?;
            return Ok(Caller::provisioner(account_id, token));
        }
        Some(_) => return Err(Error::Unauthenticated),
    }
    let user_id = UserId::parse(USER, get(USER)?).map_err(|_| Error::Unauthenticated)?;
    let role = RoleRef::parse(ROLE, get(ROLE)?).map_err(|_| Error::Unauthenticated)?;
    let permissions = get(PERMISSIONS)?
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| Permission::parse(PERMISSIONS, p))
        .collect::<Result<Vec<_>>>()
        .map_err(|_| Error::Unauthenticated)?;
    let scope = match get(SCOPE)? {
        "account" => Scope::Account,
        other => {
            let ids = other
                .strip_prefix("departments:")
                .ok_or(Error::Unauthenticated)?;
            Scope::Departments(
                ids.split(',')
                    .filter(|d| !d.is_empty())
                    .map(|d| DepartmentId::parse(SCOPE, d))
                    .collect::<Result<Vec<_>>>()
                    .map_err(|_| Error::Unauthenticated)?,
            )
        }
    };
    Ok(Caller {
        account_id,
        user_id,
        role,
        permissions: PermissionSet::of(&permissions),
        scope,
        channel: groups_domain::Channel::Admin,
    })
}

/// The caller of an API Gateway HTTP API (v2) request.
pub fn caller(req: &Request) -> Result<Caller> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => {
            let authorizer = ctx.authorizer.as_ref().ok_or(Error::Unauthenticated)?;
            let caller = decode(&authorizer.fields)?;
            tracing::Span::current().record("account_id", caller.account_id.as_str());
            Ok(caller)
        }
        _ => Err(Error::Unauthenticated),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use groups_domain::BuiltinRole;

    #[test]
    fn the_context_round_trips() {
        let caller = Caller::resolve(
            AccountId::parse("a", "acme").expect("id"),
            UserId::parse("u", "ann").expect("id"),
            RoleRef::Builtin(BuiltinRole::DepartmentAdmin),
            None,
            vec![
                DepartmentId::parse("d", "sales").expect("id"),
                DepartmentId::parse("d", "hr").expect("id"),
            ],
        );
        let fields = encode(&caller).into_iter().collect();
        assert_eq!(decode(&fields).ok(), Some(caller));
    }

    #[test]
    fn a_scim_context_decodes_as_a_provisioner_only() {
        let account = AccountId::parse("a", "acme").expect("id");
        let fields = encode_provisioner(&account, "scim-1").into_iter().collect();
        let caller = decode(&fields).expect("a provisioner");
        assert!(caller.is_provisioner());
        assert_eq!(caller.user_id.as_str(), "scim-1");
        let mut forged: std::collections::HashMap<String, Value> = encode(&Caller::resolve(
            account,
            UserId::parse("u", "ann").expect("id"),
            RoleRef::Builtin(BuiltinRole::Owner),
            None,
            vec![],
        ))
        .into_iter()
        .collect();
        forged.insert(KIND.into(), Value::from("other"));
        assert_eq!(decode(&forged), Err(Error::Unauthenticated));
    }

    #[test]
    fn any_gap_is_unauthenticated() {
        let mut fields: std::collections::HashMap<String, Value> = encode(&Caller::resolve(
            AccountId::parse("a", "acme").expect("id"),
            UserId::parse("u", "ann").expect("id"),
            RoleRef::Builtin(BuiltinRole::Admin),
            None,
            vec![],
        ))
        .into_iter()
        .collect();
        fields.remove(USER);
        assert_eq!(decode(&fields), Err(Error::Unauthenticated));
        assert_eq!(decode(&Default::default()), Err(Error::Unauthenticated));
    }
}
