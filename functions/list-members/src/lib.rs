//! `GET /groups/{groupId}/members`: a page of members with their directory entries (with
//! `asOf`, the members at that past instant), or, with `Accept: text/csv`, every member as one
//! CSV file (up to 40,000).

use groups_domain::{
    GroupId, Permission, Store, import_job, service, service_csv, service_history,
};
use groups_http::csv_members;
use groups_http::wire::{AsOfMemberDto, ImportJobDto, ListDto, MemberDto};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, json, query,
    respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "list-members",
    trigger: Trigger::Http(&[
        Route {
            method: "GET",
            path: "/groups/{groupId}/members",
        },
        Route {
            method: "GET",
            path: "/groups/{groupId}/imports/{importId}",
        },
    ]),
    access: Access::All(&[Permission::GroupsView]),
    publishes: false,
    table: &["GetItem", "Query", "BatchGetItem"],
};

const LISTING: &str = "members";
/// An import job's row outcomes, a slice a page.
const IMPORT_LISTING: &str = "import-rows";

/// `GET /groups/{groupId}/imports/{importId}`: a CSV import job's progress and a slice of its
/// rows' outcomes (the cursor names the next written slice).
async fn import<S: Store>(
    ctx: &Deps<S>,
    req: &Request,
    caller: &groups_domain::Caller,
    group: &GroupId,
    job: &str,
) -> Result<Response<Body>, groups_http::HttpError> {
    query::allow_only(req, &["cursor"])?;
    let slice = match query::page(req, IMPORT_LISTING)?.cursor {
        None => 0,
        Some(c) => c.parse::<usize>().map_err(|_| {
            groups_domain::Error::validation("cursor", "is not a cursor of this listing")
        })?,
    };
    let (job, rows) = import_job::import_status(&ctx.store, caller, group, job, slice).await?;
    let next = (slice + 1 < job.slices_done)
        .then(|| groups_http::cursor::encode(IMPORT_LISTING, &(slice + 1).to_string()));
    json(StatusCode::OK, &ImportJobDto::new(job, rows, next))
}
/// A past membership pages by user id too, but its cursors are its own.
const AS_OF_LISTING: &str = "members-as-of";

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        let id = query::path_id(&req, "groupId", "group", GroupId::parse)?;
        if let Some(job) = query::path_param(&req, "importId") {
            return import(ctx, &req, &caller, &id, &job).await;
        }
        if csv_members::accepts_csv(&req) {
            query::allow_only(&req, &["cursor"])?;
            let cursor = query::page(&req, LISTING)?.cursor;
            let (members, next) =
                service_csv::export_members(&ctx.store, &caller, &id, cursor).await?;
            let file = format!("attachment; filename=\"members-{id}.csv\"");
            let mut response = Response::builder()
                .status(StatusCode::OK)
                .header(http::header::CONTENT_TYPE, "text/csv; charset=utf-8")
                .header(http::header::CONTENT_DISPOSITION, file);
            if let Some(next) = next {
                let cursor = groups_http::cursor::encode(LISTING, &next);
                let link = format!("</groups/{id}/members?cursor={cursor}>; rel=\"next\"");
                response = response.header(http::header::LINK, link);
            }
            return response
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
