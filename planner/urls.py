from django.contrib.auth import views as auth_views
from django.urls import path

import core.converters  # noqa: F401  (registers the <id:...> path converter)
from core import views as core_views
from core.forms import LockoutAuthenticationForm
from core.middleware import limited_session_allowed
from planner import views
from planner.breaks import views as views_therapist
from planner.checkins import views as checkin_views
from planner.checklist import views as checklist_views
from planner.continuity import views as continuity_views
from planner.delivery import views as link_views
from planner.ending import views as ending_views
from planner.letters import views as letter_views
from planner.me import views as views_client
from planner.onboarding import views as onboarding_views
from planner.ops import views as ops_views
from planner.phone import views as phone_views
from planner.privacy import views as privacy_views
from planner.supportmap import views as map_views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        limited_session_allowed(
            auth_views.LoginView.as_view(authentication_form=LockoutAuthenticationForm)
        ),
        name="login",
    ),
    path("login/confirm/", core_views.password_confirm, name="password-confirm"),
    path("logout/", phone_views.logout, name="logout"),
    # The phone app: installable, My break offline (planner/phone)
    path("manifest.webmanifest", phone_views.manifest, name="manifest"),
    path("sw.js", phone_views.service_worker, name="service-worker"),
    path("offline/", phone_views.offline, name="offline"),
    path(
        "me/devices/<id:subscription_id>/remove/",
        phone_views.device_remove,
        name="device-remove",
    ),
    # Onboarding: invitations and passwords (Django's views; the emailed reset link is
    # /reset/<uidb64>/<token>/)
    path("invitations/<str:token>/", onboarding_views.invitation, name="invitation"),
    path("password-reset/", onboarding_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        onboarding_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("password-change/", onboarding_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password-change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("me/check-in/", checkin_views.check_in, name="check-in"),
    path("me/breaks/<id:break_id>/review/", checkin_views.review, name="break-review"),
    path("l/escalation/<str:token>/", checkin_views.escalation_ack, name="escalation-ack"),
    path("escalations/<id:escalation_id>/", checkin_views.escalation_page, name="escalation"),
    path(
        "breaks/<id:break_id>/check-ins/",
        checkin_views.break_check_ins,
        name="break-check-ins",
    ),
    path("l/inbox/<str:token>/", link_views.inbox_link, name="link-inbox"),
    path("l/unsubscribe/<str:token>/", link_views.unsubscribe_link, name="link-unsubscribe"),
    path("webhooks/sms/", link_views.sms_webhook, name="webhook-sms"),
    path("staff/dispatch/", ops_views.dispatch_status, name="staff-dispatch"),
    # The practice, run by its staff
    path("practice/", onboarding_views.practice, name="practice"),
    path("practice/invite/", onboarding_views.practice_invite, name="practice-invite"),
    path(
        "practice/invitations/<id:invitation_id>/<slug:action>/",
        onboarding_views.practice_invitation_action,
        name="practice-invitation-action",
    ),
    path(
        "practice/therapists/<id:therapist_id>/",
        onboarding_views.practice_therapist,
        name="practice-therapist",
    ),
    # Before the therapist's actions: "absence" is not one of them.
    path(
        "practice/therapists/<id:therapist_id>/absence/",
        continuity_views.absence,
        name="continuity-absence",
    ),
    path(
        "practice/therapists/<id:therapist_id>/absence/send/",
        continuity_views.absence_send,
        name="continuity-absence-send",
    ),
    path(
        "practice/therapists/<id:therapist_id>/absence/<slug:action>/",
        continuity_views.absence_action,
        name="continuity-absence-action",
    ),
    path(
        "practice/therapists/<id:therapist_id>/<slug:action>/",
        onboarding_views.practice_therapist_action,
        name="practice-therapist-action",
    ),
    path(
        "practice/crisis-lines/",
        onboarding_views.practice_crisis_line_add,
        name="practice-crisis-line-add",
    ),
    path(
        "practice/crisis-lines/<id:line_id>/remove/",
        onboarding_views.practice_crisis_line_remove,
        name="practice-crisis-line-remove",
    ),
    path("me/data/", privacy_views.my_data, name="privacy-data"),
    path("me/data/export.json", privacy_views.my_data_export, name="privacy-export"),
    path("me/data/delete/", privacy_views.my_data_delete, name="privacy-delete"),
    path("staff/audit/", privacy_views.audit_list, name="ops-audit"),
    # The therapist
    path("clients/new/", views_therapist.client_new, name="client-new"),
    path("clients/archived/", views_therapist.clients_archived, name="clients-archived"),
    path("clients/<id:client_id>/", views_therapist.client_detail, name="client"),
    path("clients/<id:client_id>/edit/", views_therapist.client_edit, name="client-edit"),
    path("clients/<id:client_id>/invite/", onboarding_views.client_invite, name="client-invite"),
    path("clients/<id:client_id>/archive/", views_therapist.client_archive, name="client-archive"),
    path("clients/<id:client_id>/restore/", views_therapist.client_restore, name="client-restore"),
    path("clients/<id:client_id>/breaks/new/", views_therapist.break_new, name="break-new"),
    path("clients/<id:client_id>/support-map/", map_views.client_map, name="client-support-map"),
    path("clients/<id:client_id>/", views_therapist.client_detail, name="client"),
    path("clients/<id:client_id>/breaks/new/", views_therapist.break_new, name="break-new"),
    path("breaks/preview/", views_therapist.break_preview, name="break-preview"),
    path("breaks/<id:break_id>/", views_therapist.break_detail, name="break"),
    path("breaks/<id:break_id>/edit/", views_therapist.break_edit, name="break-edit"),
    path(
        "breaks/<id:break_id>/deliveries/",
        views_therapist.break_deliveries,
        name="break-deliveries",
    ),
    # The therapist's recorded note (before the actions: "note" is not one)
    path("breaks/<id:break_id>/note/", letter_views.note_audio_edit, name="break-note"),
    path("breaks/<id:break_id>/note/audio/", letter_views.note_audio, name="break-note-audio"),
    path(
        "breaks/<id:break_id>/checklist/",
        checklist_views.break_checklist,
        name="break-checklist",
    ),
    path(
        "breaks/<id:break_id>/<slug:action>/",
        views_therapist.break_action,
        name="break-action",
    ),
    path("absences/new/", views_therapist.absence_new, name="absence-new"),
    path("absences/review/", views_therapist.absence_review, name="absence-review"),
    path("absences/activate/", views_therapist.absence_activate, name="absence-activate"),
    # If the therapist cannot come back: their plan, the colleague's call list
    path("continuity/", continuity_views.colleague_home, name="continuity-home"),
    path("continuity/plan/", continuity_views.plan_edit, name="continuity-plan"),
    path("continuity/<id:therapist_id>/", continuity_views.call_list, name="continuity-list"),
    path(
        "continuity/<id:therapist_id>/clients/<id:client_id>/",
        continuity_views.call_client,
        name="continuity-client",
    ),
    path(
        "continuity/<id:therapist_id>/clients/<id:client_id>/hand-over/",
        continuity_views.hand_over,
        name="continuity-hand-over",
    ),
    # The client
    path("me/", views_client.my_break, name="my-break"),
    path("me/inbox/", views_client.inbox, name="inbox"),
    path(
        "me/inbox/<id:message_id>/acknowledge/",
        views_client.inbox_acknowledge,
        name="inbox-acknowledge",
    ),
    path(
        "me/inbox/<id:message_id>/feedback/",
        views_client.inbox_feedback,
        name="inbox-feedback",
    ),
    path("me/preferences/", views_client.preferences, name="preferences"),
    path("me/preferences/preview/", views_client.preferences_preview, name="preferences-preview"),
    path("me/plan/print/", views_client.plan_print, name="plan-print"),
    path("me/follow-ups/", ending_views.follow_ups, name="follow-ups"),
    path("me/support-map/", map_views.my_map, name="my-support-map"),
    # Letters to self
    path("me/letters/", letter_views.letters, name="letters"),
    path("me/letters/<id:letter_id>/", letter_views.letter_edit, name="letter"),
    path("me/letters/<id:letter_id>/delete/", letter_views.letter_delete, name="letter-delete"),
]
