//! Every HTTP function, mounted by descriptor, each request checked against its descriptor's
//! access before its handler runs (as the Lambda entry point does). Adding a function is a new
//! crate, its line in [`functions`], and the places tests name when they are missing (the
//! workspace, the template, the OpenAPI document, the role matrix).

use groups_domain::{Error, Store};
use groups_http::event::{HttpCall, request, v2_event};
use groups_http::{Body, Deps, FunctionDescriptor, HttpError, Request, Response};
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;

pub type Handler<S> =
    for<'a> fn(&'a Deps<S>, Request) -> Pin<Box<dyn Future<Output = Response<Body>> + Send + 'a>>;

pub struct Function<S> {
    pub descriptor: FunctionDescriptor,
    pub handler: Handler<S>,
}

macro_rules! function {
    ($krate:ident) => {
        Function {
            descriptor: $krate::DESCRIPTOR,
            handler: |ctx, req| Box::pin($krate::handle(ctx, req)),
        }
    };
}

pub fn functions<S: Store + 'static>() -> Vec<Function<S>> {
    vec![
        function!(list_groups),
        function!(create_group),
        function!(get_group),
        function!(update_group),
        function!(delete_group),
        function!(list_members),
        function!(add_members),
        function!(remove_members),
        function!(list_users),
        function!(user_groups),
        function!(list_departments),
        function!(manage_departments),
        function!(roles),
        function!(get_me),
        function!(evaluate_smart_group),
        function!(preview_rule),
        function!(explain_membership),
        function!(rule_versions),
        function!(group_history),
        function!(user_history),
        function!(group_overrides),
        function!(put_user),
        function!(delete_user),
        function!(rule_language),
        function!(scim),
        function!(scim_tokens),
    ]
}

/// The descriptors of every function, the authorizer included.
pub fn descriptors() -> Vec<FunctionDescriptor> {
    let mut all: Vec<FunctionDescriptor> = functions::<groups_store::MemoryStore>()
        .into_iter()
        .map(|f| f.descriptor)
        .collect();
    all.push(authorizer::DESCRIPTOR);
    all.push(publish_events::DESCRIPTOR);
    all
}

/// Routes a call the way API Gateway does: finds the route, shapes the v2 event with the
/// authorizer's context, and invokes the function's handler.
pub async fn dispatch<S: Store + 'static>(
    functions: &[Function<S>],
    ctx: &Deps<S>,
    call: &HttpCall,
    authorizer: Map<String, Value>,
) -> Response<Body> {
    let mut allow: Vec<&'static str> = Vec::new();
    for function in functions {
        for route in function.descriptor.routes() {
            let Some(params) = route.matches(&call.path) else {
                continue;
            };
            if !allow.contains(&route.method) {
                allow.push(route.method);
            }
            if route.method != call.method {
                continue;
            }
            let event = v2_event(call, route, &params, authorizer);
            return match request(&event) {
                Ok(req) => match groups_http::descriptor::refuse(&function.descriptor, &req) {
                    Some(refusal) => refusal,
                    None => (function.handler)(ctx, req).await,
                },
                Err(e) => HttpError::from(Error::validation("", format!("malformed request: {e}")))
                    .into_response(),
            };
        }
    }
    if !allow.is_empty() {
        HttpError::MethodNotAllowed { allow }.into_response()
    } else {
        HttpError::RouteNotFound.into_response()
    }
}
