//! Lambda entry point: the shared one (`groups_http::lambda_main!`) around this crate's handler.

groups_http::lambda_main!(scim_tokens);
