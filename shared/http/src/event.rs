//! API Gateway HTTP API (payload 2.0) request events. The local server and the tests build
//! requests from the same event shape that API Gateway sends (the fixture beside this crate),
//! then let lambda_http parse them, so handlers see exactly what they see on Lambda.

use crate::descriptor::Route;
use lambda_http::Request;
use serde_json::{Map, Value, json};

const FIXTURE: &str = include_str!("../fixtures/http-api-v2-request.json");

/// What arrives over HTTP, before API Gateway shapes it.
#[derive(Debug, Clone, Default)]
pub struct HttpCall {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl HttpCall {
    pub fn new(method: &str, path_and_query: &str) -> Self {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            ..Self::default()
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.body = Some(body.to_string());
        self.header("content-type", "application/json")
    }

    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }
}

/// Percent-decodes a query-string component (`+` is a space); malformed escapes stay as they are.
pub fn decode(component: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = component.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes[i] {
            b'%' if i + 2 < bytes.len() => hex(bytes[i + 1])
                .zip(hex(bytes[i + 2]))
                .map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some(b), _) => {
                out.push(b);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The event API Gateway would send for `call` on `route`, with `authorizer` as the Lambda
/// authorizer's context. Repeated query parameters are joined with commas, as API Gateway does.
pub fn v2_event(
    call: &HttpCall,
    route: &Route,
    params: &[(String, String)],
    authorizer: Map<String, Value>,
) -> Value {
    let mut event: Value = serde_json::from_str(FIXTURE).unwrap_or_else(|_| json!({}));
    let route_key = format!("{} {}", route.method, route.path);
    let mut query = Map::new();
    for pair in call.query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (decode(k), decode(v));
        match query.get_mut(&k) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            _ => {
                query.insert(k, Value::String(v));
            }
        }
    }
    let mut headers = event["headers"].as_object().cloned().unwrap_or_default();
    for (name, value) in &call.headers {
        headers.insert(name.clone(), Value::String(value.clone()));
    }
    headers.insert(
        "content-length".into(),
        Value::String(call.body.as_ref().map_or(0, String::len).to_string()),
    );
    event["routeKey"] = json!(route_key);
    event["rawPath"] = json!(call.path);
    event["rawQueryString"] = json!(call.query);
    event["headers"] = Value::Object(headers);
    event["queryStringParameters"] = Value::Object(query);
    event["pathParameters"] = Value::Object(
        params
            .iter()
            .map(|(k, v)| (k.clone(), json!(decode(v))))
            .collect(),
    );
    event["requestContext"]["routeKey"] = json!(route_key);
    event["requestContext"]["http"]["method"] = json!(call.method);
    event["requestContext"]["http"]["path"] = json!(call.path);
    event["requestContext"]["authorizer"] = json!({ "lambda": authorizer });
    event["body"] = call.body.as_ref().map_or(Value::Null, |b| json!(b));
    event
}

/// Parses an event the way the Lambda runtime does.
pub fn request(event: &Value) -> Result<Request, serde_json::Error> {
    lambda_http::request::from_str(&event.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_components_decode_without_panicking() {
        assert_eq!(decode("a+b%20c"), "a b c");
        assert_eq!(decode("%E2%86%91"), "↑");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%é"), "%zz%é");
    }

    #[test]
    fn events_parse_like_lambda_does() {
        let route = Route {
            method: "GET",
            path: "/groups/{groupId}",
        };
        let call = HttpCall::new("GET", "/groups/g1?sort=-title&q=a%20b&q=c")
            .header("Authorization", "Bearer x");
        let event = v2_event(
            &call,
            &route,
            &[("groupId".into(), "g1".into())],
            Map::new(),
        );
        let req = request(&event).expect("parses");
        use lambda_http::RequestExt;
        assert_eq!(req.path_parameters().first("groupId"), Some("g1"));
        assert_eq!(req.query_string_parameters().first("sort"), Some("-title"));
        assert_eq!(req.uri().path(), "/groups/g1");
        assert!(req.headers().contains_key("authorization"));
    }
}
