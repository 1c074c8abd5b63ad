//! `POST /groups/{groupId}/members {userIds}`: add up to 1,000 users at once. Answers which
//! were added, already members, not found and out of the caller's scope; repeating a call
//! changes nothing.

use groups_domain::MembershipSource;
use groups_domain::events::{MembershipChange, events_for};
use groups_domain::service::{self, MAX_MEMBER_IDS};
use groups_domain::{GroupId, Permission, Store, UserId};
use groups_http::wire::{UserIdsBody, parse_ids};
use groups_http::{
    Body, Ctx, FunctionDescriptor, Request, Response, Route, Trigger, body, caller, json, query,
    respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "add-members",
    trigger: Trigger::Http(&[Route {
        method: "POST",
        path: "/groups/{groupId}/members",
    }]),
    permission: Some(Permission::GroupsMembers),
};

pub async fn handle<S: Store>(ctx: &Ctx<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        let id = query::path_id(&req, "groupId", "group", GroupId::parse)?;
        query::allow_only(&req, &[])?;
        let input: UserIdsBody = body::json_body(&req)?;
        let ids = parse_ids("userIds", input.user_ids, MAX_MEMBER_IDS, UserId::parse)?;
        let now = ctx.now();
        let outcome = service::add_members(&ctx.store, &caller, &id, &ids, now).await?;
        let events = events_for(
            &caller.account_id,
            &id,
            &outcome.added,
            MembershipChange::Joined,
            MembershipSource::Manual,
            now,
        );
        ctx.events.publish(&events).await?;
        json(StatusCode::OK, &outcome)
    })
    .await
}
