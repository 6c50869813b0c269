from django.urls import path

from frontend import (
    admin_views,
    audit_views,
    budget_views,
    case_forms,
    case_views,
    dp_review_views,
    evidence_views,
    grid_views,
    invoice_views,
    payment_views,
    provider_bank_views,
    provider_views,
    public_views,
    reconciliation_views,
    support_views,
    variance_views,
    views,
)

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    # the ledger explorer
    path("ledger/", views.ledger_accounts, name="ledger-accounts"),
    path("ledger/accounts/<str:code>/", views.ledger_statement, name="ledger-statement"),
    path("ledger/entries/<uuid:entry_id>/", views.ledger_entry, name="ledger-entry"),
    # finance: payment runs, exceptions; a payment's remittance advice
    path("finance/payments/", payment_views.runs, name="payment-runs"),
    path("finance/payments/start/", payment_views.start_run, name="payment-run-start"),
    path("finance/payments/exceptions/", payment_views.exceptions, name="payment-exceptions"),
    path("finance/payments/runs/<uuid:run_id>/", payment_views.run, name="payment-run"),
    path("payments/<str:key>/remittance/", payment_views.remittance, name="remittance"),
    path("finance/invoices/", invoice_views.finance_invoices, name="finance-invoices"),
    path("finance/providers/", provider_bank_views.providers, name="providers-banks"),
    path("finance/variances/", variance_views.variances, name="variances"),
    path("finance/reconciliation/", reconciliation_views.reconciliation, name="reconciliation"),
    path(
        "finance/reconciliation/<str:step>/",
        reconciliation_views.act,
        name="reconciliation-act",
    ),
    path(
        "finance/providers/<uuid:provider>/bank-account/",
        provider_bank_views.provider_bank,
        name="provider-bank",
    ),
    path(
        "finance/providers/<uuid:provider>/bank-account/<str:step>/",
        provider_bank_views.decide_provider_bank,
        name="provider-bank-step",
    ),
    path(
        "finance/invoices/<uuid:invoice>/<str:decision>/",
        invoice_views.decide_invoice,
        name="finance-invoice-decide",
    ),
    path("provider/invoices/", invoice_views.provider_invoices, name="provider-invoices"),
    # public: the register and finding support
    path("register/", public_views.register_list, name="register"),
    path(
        "register/providers/<uuid:provider_id>/",
        public_views.provider_profile,
        name="provider-profile",
    ),
    path("find-support/", public_views.find_support, name="find-support"),
    path("find-support/compare/", public_views.compare, name="compare"),
    path("prices/", public_views.tariff, name="tariff"),
    path("budgets/grid/", grid_views.grid, name="ras-grid"),
    path("budgets/grid/change/", grid_views.change, name="ras-change"),
    path("budgets/sign-off/", grid_views.sign_off_rules, name="sign-off-rules"),
    # a person's support
    path("my-support/", support_views.my_support, name="my-support"),
    path("my-support/choose/", support_views.choose, name="my-support-choose"),
    path("my-support/<uuid:engagement>/end/", support_views.end, name="my-support-end"),
    path(
        "my-support/<uuid:engagement>/feedback/", support_views.feedback, name="my-support-feedback"
    ),
    path("my-budget/", budget_views.my_budget, name="my-budget"),
    path("my-budget/<str:council_ref>/plan.pdf", budget_views.my_plan_pdf, name="my-plan-pdf"),
    path(
        "my-budget/<str:council_ref>/statement/",
        budget_views.my_statement_page,
        name="my-statement-page",
    ),
    path(
        "my-budget/<str:council_ref>/statement.json",
        budget_views.my_statement,
        name="my-statement",
    ),
    path("my-budget/<str:council_ref>/return/", budget_views.my_return, name="my-return"),
    path(
        "my-budget/<str:council_ref>/who-has-looked/",
        budget_views.who_has_looked,
        name="who-has-looked",
    ),
    path("transparency/", public_views.transparency, name="transparency"),
    path("audit/", audit_views.search, name="audit"),
    path("audit/budgets/<str:council_ref>/", audit_views.budget, name="audit-budget"),
    path(
        "audit/budgets/<str:council_ref>/entries.<str:shape>",
        audit_views.export,
        name="audit-export",
    ),
    path("audit/payments/<str:key>/", audit_views.payment, name="audit-payment"),
    # staff: personal budgets
    path("cases/", case_views.caseload, name="caseload"),
    path("cases/direct-payment-reviews/", dp_review_views.dp_reviews, name="dp-reviews"),
    path(
        "cases/<str:council_ref>/direct-payment-review/",
        dp_review_views.record_dp_review,
        name="dp-review",
    ),
    path("cases/new/", case_forms.new_person, name="case-new"),
    path("cases/<str:council_ref>/assessment/", case_forms.assessment, name="case-assessment"),
    path("cases/<str:council_ref>/allocation/", case_forms.allocation, name="case-allocation"),
    path("cases/<str:council_ref>/plan/", case_forms.plan_editor, name="case-plan"),
    path("cases/<str:council_ref>/review/", case_forms.review, name="case-review"),
    path("cases/<str:council_ref>/revision/", case_forms.revision, name="case-revision"),
    path(
        "cases/<str:council_ref>/contribution/",
        case_forms.contribution,
        name="case-contribution",
    ),
    path("cases/<str:council_ref>/plan.pdf", case_views.plan_pdf, name="case-plan-pdf"),
    path("cases/<str:council_ref>/", case_views.case, name="case"),
    path("cases/<str:council_ref>/<str:step>/", case_views.act, name="case-act"),
    # a provider's area
    path("provider/", provider_views.area, name="provider-area"),
    path("provider/apply/", provider_views.apply, name="provider-apply"),
    path("provider/evidence/", provider_views.upload, name="provider-upload"),
    path("provider/payments/", provider_views.set_up_payments, name="provider-payments"),
    path(
        "provider/requests/<uuid:engagement>/<str:decision>/",
        provider_views.decide,
        name="provider-decide",
    ),
    # the register administrator
    path("register/admin/", admin_views.queue, name="register-admin"),
    path("evidence/<uuid:evidence>/", evidence_views.evidence_file, name="evidence-file"),
    path(
        "register/admin/<uuid:accreditation>/",
        admin_views.detail,
        name="register-admin-accreditation",
    ),
    path(
        "register/admin/<uuid:accreditation>/<str:step>/",
        admin_views.act,
        name="register-admin-act",
    ),
    path(
        "register/admin/feedback/<uuid:engagement>/",
        admin_views.moderate,
        name="register-admin-moderate",
    ),
]
