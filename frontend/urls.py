from django.urls import path

from frontend import views

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("ledger/", views.ledger_accounts, name="ledger-accounts"),
    path("ledger/accounts/<str:code>/", views.ledger_statement, name="ledger-statement"),
    path("ledger/entries/<uuid:entry_id>/", views.ledger_entry, name="ledger-entry"),
]
