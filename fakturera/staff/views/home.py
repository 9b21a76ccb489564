from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fakturera.parties.models import CompanyUser
from fakturera.parties.tenancy import SESSION_KEY
from fakturera.staff.two_factor import two_factor_exempt


@login_required
@two_factor_exempt
def no_company(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/no_company.html")


@login_required
@require_POST
@two_factor_exempt  # to another company, which may not require two factors
def company_switch(request: HttpRequest) -> HttpResponse:
    """Make another of the user's companies the active one; unknown ids change nothing."""
    wanted = request.POST.get("company", "")
    if wanted.isdigit() and CompanyUser.objects.filter(user=request.user, company_id=int(wanted)).exists():
        request.session[SESSION_KEY] = int(wanted)
    return redirect("staff:home")
