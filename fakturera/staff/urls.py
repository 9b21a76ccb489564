"""Staff UI routes. Every view is wrapped in tenancy.staff_view and fetches objects
with get_for_company, so another company's id is a 404."""

from django.urls import path

from fakturera.staff.views import (
    account,
    autogiro,
    basis,
    billables,
    catalog,
    company,
    courses,
    customers,
    distribution,
    documents,
    home,
    integrations,
    invitations,
    invoices,
    recurring,
)

app_name = "staff"
urlpatterns = [
    path("", home.home, name="home"),
    path("no-company/", home.no_company, name="no_company"),
    # An invitation's link: anyone holding it, no company needed
    path("invitations/<str:token>/", invitations.invitation, name="invitation"),
    path("company/switch/", home.company_switch, name="company_switch"),
    # The user's own security: two-factor authentication (views/account.py)
    path("account/security/", account.security, name="security"),
    # Company settings (admin)
    path("settings/", company.settings_edit, name="company_settings"),
    path("settings/staff/", company.staff_list, name="company_staff"),
    # Customers
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/new/<str:kind>/", customers.customer_create, name="customer_create"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", customers.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/members/", customers.member_add, name="member_add"),
    path("customers/<int:pk>/members/<int:person_pk>/remove/", customers.member_remove, name="member_remove"),
    # Catalog
    path("catalog/", catalog.catalog, name="catalog"),
    path("catalog/<str:kind>/new/", catalog.item_edit, name="catalog_create"),
    path("catalog/<str:kind>/<int:pk>/", catalog.item_edit, name="catalog_edit"),
    # Bookings and journal notes
    path("bookings/", billables.booking_list, name="booking_list"),
    path("bookings/new/", billables.booking_edit, name="booking_create"),
    path("bookings/<int:pk>/", billables.booking_edit, name="booking_edit"),
    path("bookings/<int:pk>/payment/", billables.booking_payment, name="booking_payment"),
    path("journal/", billables.journal_note_list, name="journal_note_list"),
    path("journal/new/", billables.journal_note_edit, name="journal_note_create"),
    path("journal/<int:pk>/", billables.journal_note_edit, name="journal_note_edit"),
    # Basis
    path("basis/", basis.basis, name="basis"),
    path("basis/customer/<int:customer_pk>/", basis.customer_items, name="basis_customer"),
    path("basis/customer/<int:customer_pk>/add/", basis.item_add, name="basis_item_add"),
    path("basis/item/<int:pk>/", basis.item_edit, name="basis_item_edit"),
    path("basis/item/<int:pk>/remove/", basis.item_remove, name="basis_item_remove"),
    path("basis/register/", basis.register, name="basis_register"),
    # Invoices
    path("invoices/", invoices.invoice_list, name="invoice_list"),
    path("invoices/new/", invoices.draft_create, name="invoice_create"),
    path("invoices/<int:pk>/", invoices.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/edit/", invoices.draft_edit, name="invoice_edit"),
    path("invoices/<int:pk>/issue/", invoices.draft_issue, name="invoice_issue"),
    path("invoices/<int:pk>/delete/", invoices.draft_delete, name="invoice_delete"),
    path("invoices/<int:pk>/credit/", invoices.credit, name="invoice_credit"),
    path("invoices/<int:pk>/history/", invoices.history, name="invoice_history"),
    path("invoices/<int:pk>/document/<str:fmt>/", documents.invoice_document, name="invoice_document"),
    path("invoices/print/", documents.print_selection, name="invoice_print"),
    # Distribution: sending, progress, undo, uncertain deliveries; settings (admin)
    path("distribution/", distribution.overview, name="distribution"),
    path("distribution/send/", distribution.send, name="send"),
    path("distribution/sends/<int:pk>/", distribution.send_detail, name="send_detail"),
    path("distribution/sends/<int:pk>/undo/", distribution.send_undo, name="send_undo"),
    path("distribution/sends/<int:pk>/print.pdf", distribution.print_run, name="send_print"),
    path("distribution/deliveries/<int:pk>/answer/", distribution.delivery_answer, name="delivery_answer"),
    path("invoices/<int:pk>/email/", distribution.invoice_email, name="invoice_email"),
    path("settings/distribution/", distribution.distribution_settings, name="distribution_settings"),
    # API keys and webhooks (admin)
    path("settings/api/", integrations.api_settings, name="integrations"),
    path("settings/api/webhooks/new/", integrations.endpoint_edit, name="webhook_create"),
    path("settings/api/webhooks/<int:pk>/", integrations.endpoint_edit, name="webhook_edit"),
    path("settings/api/webhooks/<int:pk>/test/", integrations.endpoint_test, name="webhook_test"),
    path("settings/api/webhooks/<int:pk>/deliveries/", integrations.endpoint_deliveries, name="webhook_deliveries"),
    # Courses (seed 000)
    path("courses/", courses.course_list, name="course_list"),
    path("courses/new/", courses.course_edit, name="course_create"),
    path("courses/<int:pk>/", courses.course_detail, name="course_detail"),
    path("courses/<int:pk>/edit/", courses.course_edit, name="course_edit"),
    path("courses/<int:course_pk>/occurrences/new/", courses.occurrence_edit, name="occurrence_create"),
    path("courses/occurrences/<int:pk>/", courses.occurrence_detail, name="occurrence_detail"),
    path("courses/occurrences/<int:pk>/edit/", courses.occurrence_edit, name="occurrence_edit"),
    path("courses/occurrences/<int:pk>/form/", courses.occurrence_form_settings, name="occurrence_form"),
    path("courses/occurrences/<int:pk>/prices/", courses.price_category_add, name="price_category_add"),
    path(
        "courses/occurrences/<int:pk>/prices/<int:category_pk>/remove/",
        courses.price_category_remove,
        name="price_category_remove",
    ),
    path("courses/occurrences/<int:pk>/customers/", courses.occurrence_customers, name="occurrence_customers"),
    path("courses/customers/<int:pk>/remove/", courses.occurrence_customer_remove, name="occurrence_customer_remove"),
    path("courses/registrations/<int:pk>/", courses.registration_process, name="registration_process"),
    path("courses/registrations/<int:pk>/paying/", courses.registration_paying_fields, name="registration_paying"),
    path("courses/registrations/<int:pk>/cancel/", courses.registration_cancel, name="registration_cancel"),
    path("courses/registrations/<int:pk>/credit/", courses.registration_credit, name="registration_credit"),
    path("courses/registrations/<int:pk>/approve/", courses.registration_approve, name="registration_approve"),
    path(
        "courses/registrations/<int:pk>/resend-approval/",
        courses.registration_resend_approval,
        name="registration_resend_approval",
    ),
    path("courses/report/", courses.basis_report, name="course_report"),
    # Autogiro: mandates on the customer card, settings and the runs' payment-order files
    path("customers/<int:pk>/autogiro/", autogiro.mandate_add, name="autogiro_mandate_add"),
    path("autogiro/", autogiro.overview, name="autogiro"),
    path("autogiro/settings/", autogiro.settings_save, name="autogiro_settings"),
    path("autogiro/mandates/<int:pk>/cancel/", autogiro.mandate_cancel, name="autogiro_mandate_cancel"),
    path("autogiro/runs/", autogiro.run_create, name="autogiro_run_create"),
    path("autogiro/runs/<int:pk>/file/", autogiro.run_file, name="autogiro_run_file"),
    # Recurring invoices and their orders
    path("recurring/", recurring.recurring_list, name="recurring_list"),
    path("recurring/new/", recurring.recurring_create, name="recurring_create"),
    path("recurring/<int:pk>/", recurring.recurring_edit, name="recurring_edit"),
    path("recurring/<int:pk>/delete/", recurring.recurring_delete, name="recurring_delete"),
    path("recurring/generate/", recurring.recurring_generate, name="recurring_generate"),
    path("recurring/orders/", recurring.recurring_orders, name="recurring_orders"),
    path("recurring/orders/invoice/", recurring.recurring_orders_invoice, name="recurring_orders_invoice"),
    path("recurring/settings/", recurring.recurring_settings, name="recurring_settings"),
]
