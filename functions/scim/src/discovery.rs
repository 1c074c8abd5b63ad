//! What this service provider supports (RFC 7643 §5–§7): exactly what the handlers do.

use crate::json::{ENTERPRISE, GROUP_SCHEMA, LIST_RESPONSE, USER_SCHEMA};
use crate::list::MAX_COUNT;
use serde_json::{Value, json};

const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

pub fn service_provider_config() -> Value {
    json!({
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://github.com/groups-lms/groups#scim",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_COUNT},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "SCIM bearer token",
            "description": "A per-account token that an Account Owner issues (POST /scim-tokens) and revokes.",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": "/scim/v2/ServiceProviderConfig"},
    })
}

fn resource_type(id: &str, endpoint: &str, schema: &str, extensions: Value) -> Value {
    json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": id,
        "name": id,
        "endpoint": endpoint,
        "description": format!("{id}s of the account's directory"),
        "schema": schema,
        "schemaExtensions": extensions,
        "meta": {"resourceType": "ResourceType", "location": format!("/scim/v2/ResourceTypes/{id}")},
    })
}

pub fn resource_types() -> Vec<Value> {
    vec![
        resource_type(
            "User",
            "/Users",
            USER_SCHEMA,
            json!([{"schema": ENTERPRISE, "required": false}]),
        ),
        resource_type("Group", "/Groups", GROUP_SCHEMA, json!([])),
    ]
}

struct Attr {
    name: &'static str,
    kind: &'static str,
    multi: bool,
    required: bool,
    case_exact: bool,
    mutability: &'static str,
    uniqueness: &'static str,
    description: &'static str,
    reference_types: &'static [&'static str],
    sub: Vec<Attr>,
}

fn attr(name: &'static str, kind: &'static str, description: &'static str) -> Attr {
    Attr {
        name,
        kind,
        multi: false,
        required: false,
        case_exact: false,
        mutability: "readWrite",
        uniqueness: "none",
        description,
        reference_types: &[],
        sub: Vec::new(),
    }
}

impl Attr {
    fn to_json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "type": self.kind,
            "multiValued": self.multi,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": if self.name == "id" { "always" } else { "default" },
            "uniqueness": self.uniqueness,
        });
        if !self.reference_types.is_empty()
            && let Some(m) = v.as_object_mut()
        {
            m.insert("referenceTypes".into(), json!(self.reference_types));
        }
        if !self.sub.is_empty()
            && let Some(m) = v.as_object_mut()
        {
            m.insert(
                "subAttributes".into(),
                Value::Array(self.sub.iter().map(Attr::to_json).collect()),
            );
        }
        v
    }
}

fn schema(id: &str, name: &str, description: &str, attributes: Vec<Attr>) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes.iter().map(Attr::to_json).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("/scim/v2/Schemas/{id}")},
    })
}

fn user_schema() -> Value {
    let id = Attr {
        case_exact: true,
        mutability: "readOnly",
        uniqueness: "server",
        ..attr("id", "string", "The user's id in the directory")
    };
    let external = Attr {
        case_exact: true,
        ..attr(
            "externalId",
            "string",
            "The identity provider's id for the user",
        )
    };
    let user_name = Attr {
        required: true,
        uniqueness: "server",
        ..attr(
            "userName",
            "string",
            "The sign-in name; the email address unless emails names one",
        )
    };
    // Every user has a first and a last name, and a status.
    let name = Attr {
        required: true,
        sub: vec![
            Attr {
                required: true,
                ..attr("givenName", "string", "First name")
            },
            Attr {
                required: true,
                ..attr("familyName", "string", "Last name")
            },
        ],
        ..attr("name", "complex", "The user's name")
    };
    // Every user has an email address: the userName, when it is one, or this.
    let emails = Attr {
        multi: true,
        required: true,
        sub: vec![
            Attr {
                required: true,
                ..attr(
                    "value",
                    "string",
                    "An email address; the primary (or work, or first) one is kept",
                )
            },
            Attr {
                mutability: "readOnly",
                ..attr(
                    "type",
                    "string",
                    "work: the one address kept is the work address",
                )
            },
            Attr {
                mutability: "readOnly",
                ..attr(
                    "primary",
                    "boolean",
                    "true: the one address kept is the primary one",
                )
            },
        ],
        ..attr("emails", "complex", "Email addresses (one is kept)")
    };
    schema(
        USER_SCHEMA,
        "User",
        "A person in the account's directory",
        vec![
            id,
            external,
            user_name,
            name,
            Attr {
                mutability: "readOnly",
                ..attr("displayName", "string", "First and last name")
            },
            attr("title", "string", "Job title"),
            Attr {
                required: true,
                ..attr(
                    "active",
                    "boolean",
                    "The user's status (rules read it as status); true when omitted",
                )
            },
            emails,
        ],
    )
}

fn enterprise_schema() -> Value {
    let manager = Attr {
        sub: vec![Attr {
            case_exact: true,
            ..attr("value", "string", "The manager's user id")
        }],
        ..attr("manager", "complex", "The user's manager")
    };
    schema(
        ENTERPRISE,
        "EnterpriseUser",
        "Enterprise attributes, kept as profile fields rules can use",
        vec![
            attr("employeeNumber", "string", "Employee number"),
            attr("costCenter", "string", "Cost center"),
            attr("organization", "string", "Organization"),
            attr("division", "string", "Division"),
            attr(
                "department",
                "string",
                "A department's id or unique name; places the user there",
            ),
            manager,
        ],
    )
}

fn group_schema() -> Value {
    let members = Attr {
        multi: true,
        sub: vec![
            Attr {
                case_exact: true,
                mutability: "immutable",
                ..attr("value", "string", "The member's user id")
            },
            Attr {
                mutability: "readOnly",
                ..attr("type", "string", "User: members are users")
            },
            Attr {
                mutability: "immutable",
                reference_types: &["User"],
                ..attr("$ref", "reference", "The member's URI")
            },
        ],
        ..attr("members", "complex", "The group's members (users only)")
    };
    schema(
        GROUP_SCHEMA,
        "Group",
        "A static group provisioned by the identity provider; read-only elsewhere",
        vec![
            Attr {
                case_exact: true,
                mutability: "readOnly",
                uniqueness: "server",
                ..attr("id", "string", "The group's id")
            },
            Attr {
                case_exact: true,
                ..attr(
                    "externalId",
                    "string",
                    "The identity provider's id for the group",
                )
            },
            Attr {
                required: true,
                uniqueness: "server",
                ..attr(
                    "displayName",
                    "string",
                    "The group's title, unique in the account",
                )
            },
            members,
        ],
    )
}

pub fn schemas() -> Vec<Value> {
    vec![user_schema(), enterprise_schema(), group_schema()]
}

/// A list of discovery resources (no paging: there are a handful).
pub fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": resources.len(),
        "startIndex": 1,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}
