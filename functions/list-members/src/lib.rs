//! `GET /groups/{groupId}/members`: a page of members with their directory entries (with
//! `asOf`, the members at that past instant), or, with `Accept: text/csv`, every member as one
//! CSV file (up to 40,000).

use groups_domain::{GroupId, Permission, Store, service, service_csv, service_history};
use groups_http::csv_members;
use groups_http::wire::{AsOfMemberDto, ListDto, MemberDto};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, json, query,
    respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "list-members",
    trigger: Trigger::Http(&[Route {
        method: "GET",
        path: "/groups/{groupId}/members",
    }]),
    access: Access::All(&[Permission::GroupsView]),
    publishes: false,
    table: &["GetItem", "Query", "BatchGetItem"],
};

const LISTING: &str = "members";
/// A past membership pages by user id too, but its cursors are its own.
const AS_OF_LISTING: &str = "members-as-of";

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        let id = query::path_id(&req, "groupId", "group", GroupId::parse)?;
        if csv_members::accepts_csv(&req) {
            query::allow_only(&req, &[])?;
            let members = service_csv::export_members(&ctx.store, &caller, &id).await?;
            let file = format!("attachment; filename=\"members-{id}.csv\"");
            return Response::builder()
                .status(StatusCode::OK)
                .header(http::header::CONTENT_TYPE, "text/csv; charset=utf-8")
                .header(http::header::CONTENT_DISPOSITION, file)
                .body(Body::Text(csv_members::members_csv(&members)?))
                .map_err(|e| groups_domain::Error::Internal(e.to_string()).into());
        }
        query::allow_only(&req, &["limit", "cursor", "asOf"])?;
        if let Some(as_of) = query::instant(&req, "asOf")? {
            let page = query::page(&req, AS_OF_LISTING)?;
            let members =
                service_history::members_as_of(&ctx.store, &caller, &id, as_of, &page, ctx.now())
                    .await?;
            return json(
                StatusCode::OK,
                &ListDto::from_page(members, AS_OF_LISTING, AsOfMemberDto::from),
            );
        }
        let page = query::page(&req, LISTING)?;
        let members = service::list_members(&ctx.store, &caller, &id, &page).await?;
        json(
            StatusCode::OK,
            &ListDto::from_page(members, LISTING, MemberDto::from),
        )
    })
    .await
}
