//! `GET /groups`: the groups the caller may see, in title order, with exact member counts.

use groups_domain::ports::GroupQuery;
use groups_domain::{Error, GroupKind, Permission, SortOrder, Store, service};
use groups_http::wire::{GroupDto, ListDto};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, json, query,
    respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "list-groups",
    trigger: Trigger::Http(&[Route {
        method: "GET",
        path: "/groups",
    }]),
    access: Access::All(&[Permission::GroupsView]),
    publishes: false,
    table: &["Query GSI2", "BatchGetItem"],
};

/// Longest title search accepted (a title is at most 200 characters).
const MAX_SEARCH_CHARS: usize = 200;

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        query::allow_only(&req, &["sort", "q", "kind", "limit", "cursor"])?;
        let (order, listing) = match query::param(&req, "sort").as_deref() {
            None | Some("title") => (SortOrder::Ascending, "groups:title"),
            Some("-title") => (SortOrder::Descending, "groups:-title"),
            Some(_) => return Err(Error::validation("sort", "must be title or -title").into()),
        };
        let kind = query::param(&req, "kind")
            .map(|k| GroupKind::parse("kind", &k))
            .transpose()?;
        let title_contains = query::search(&req, "q", MAX_SEARCH_CHARS)?;
        let group_query = GroupQuery {
            order,
            kind,
            title_contains,
            page: query::page(&req, listing)?,
        };
        let page = service::list_groups(&ctx.store, &caller, &group_query).await?;
        json(
            StatusCode::OK,
            &ListDto::from_page(page, listing, GroupDto::from),
        )
    })
    .await
}
