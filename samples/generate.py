#!/usr/bin/env python3
"""Generates samples/tenant.json, the bundled sample tenant of `groupgate demo`.

Deterministic: the same file comes out on every machine and Python 3 version,
because the random choices come from a small fixed-seed generator written here
rather than from the `random` module.

Usage: python3 samples/generate.py > samples/tenant.json
"""

import json
import sys

SEED = 20250601
USER_COUNT = 300


class Rng:
    """xorshift64*: small, fast and identical everywhere."""

    def __init__(self, seed):
        self.state = (seed * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF or 1

    def next(self):
        x = self.state
        x ^= x >> 12
        x ^= (x << 25) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 27
        self.state = x
        return (x * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF

    def below(self, n):
        return self.next() % n

    def choice(self, items):
        return items[self.below(len(items))]

    def weighted(self, pairs):
        total = sum(weight for _, weight in pairs)
        pick = self.below(total)
        for item, weight in pairs:
            if pick < weight:
                return item
            pick -= weight
        return pairs[-1][0]

    def chance(self, percent):
        return self.below(100) < percent


rng = Rng(SEED)

FIRST = {
    "female": [
        "Emma", "Chloé", "Léa", "Manon", "Inès", "Camille", "Olivia", "Amelia", "Isla",
        "Grace", "Hannah", "Lena", "Mia", "Clara", "Marie", "Ava", "Sofia", "Zoe",
        "Aisha", "Mei", "Priya", "Fatima", "Ingrid", "Nora", "Elena", "Lucia", "Maja",
        "Anaïs", "Julia", "Hélène", "Małgorzata", "Søs", "Charlotte", "Ruby", "Freya",
    ],
    "male": [
        "Lucas", "Hugo", "Louis", "Gabriel", "Arthur", "Jules", "Noah", "Oliver",
        "George", "Harry", "Leon", "Paul", "Felix", "Jonas", "Liam", "Ethan", "Mateo",
        "Omar", "Kenji", "Ravi", "Tomasz", "Lars", "Marco", "Diego", "Samuel", "Théo",
        "Mathis", "Björn", "Anders", "Jakub", "Noël", "Dmitri", "Kwame", "Daniel",
    ],
    "non-binary": ["Alex", "Sam", "Robin", "Charlie", "Sasha", "Kim", "Andrea", "Eden"],
}
LAST = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
    "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Fournier",
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Clarke",
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Wagner",
    "Johnson", "Miller", "Davis", "Rodriguez", "Nguyen", "Kim", "Patel", "Okafor",
    "Kowalski", "Nowak", "Larsen", "Johansson", "Rossi", "Bianchi", "Tanaka", "Sato",
    "Haddad", "Cohen", "O'Brien", "Novák", "Costa", "Silva", "Andersen", "Zhang",
]
LOCATIONS = [("Paris", 34), ("London", 24), ("Berlin", 20), ("New York", 16), ("Remote", 6)]
STATUSES = [("Active", 92), ("On Leave", 5), ("Terminated", 3)]
GENDERS = [("female", 47), ("male", 47), ("non-binary", 6)]

# Department -> (weight, team group or None, [(job title, weight)], manager title).
DEPARTMENTS = {
    "Engineering": (0, None, [], "Engineering Manager"),
    "Product": (6, "g-product", [("Product Manager", 3), ("Product Owner", 2), ("Product Analyst", 1)], "Group Product Manager"),
    "Design": (5, "g-design", [("Product Designer", 3), ("UX Researcher", 1), ("Visual Designer", 1)], "Design Manager"),
    "Sales": (14, "g-sales", [("Account Executive", 4), ("Sales Development Representative", 3), ("Solutions Engineer", 1)], "Sales Manager"),
    "Support": (13, "g-support", [("Support Agent", 6), ("Senior Support Agent", 2), ("Support Team Lead", 1)], "Support Manager"),
    "Marketing": (6, "g-marketing", [("Marketing Specialist", 3), ("Content Writer", 1), ("Growth Analyst", 1)], "Marketing Manager"),
    "People": (4, "g-people", [("People Partner", 2), ("Recruiter", 2), ("Payroll Specialist", 1)], "People Operations Manager"),
    "Finance": (4, "g-finance", [("Accountant", 2), ("Financial Analyst", 2), ("Controller", 1)], "Finance Manager"),
    "IT": (3, "g-it", [("IT Support Specialist", 2), ("Systems Administrator", 1)], "IT Manager"),
}
ENGINEERING_TEAMS = {
    "g-eng-backend": (10, [("Backend Engineer", 3), ("Senior Backend Engineer", 2)], "Backend Engineering Manager"),
    "g-eng-frontend": (8, [("Frontend Engineer", 3), ("Senior Frontend Engineer", 1)], "Frontend Engineering Manager"),
    "g-eng-devops": (5, [("DevOps Engineer", 2), ("Site Reliability Engineer", 2)], "Infrastructure Manager"),
    "g-eng-mobile": (5, [("iOS Engineer", 1), ("Android Engineer", 1)], "Mobile Engineering Manager"),
    "g-eng-qa": (4, [("QA Engineer", 2), ("Test Automation Engineer", 1)], "QA Manager"),
    "g-eng-data": (5, [("Data Engineer", 2), ("Data Scientist", 1)], "Data Engineering Manager"),
}

users = []
used_names = set()
team_members = {}  # group id -> [user id]


def add_user(uid, name, gender, job, department, location, manager, hire, status="Active",
             org_role=None, extra=None):
    used_names.add(name)
    user = {"id": uid, "name": name}
    if org_role:
        user["orgRole"] = org_role
    attributes = {
        "gender": gender,
        "jobTitle": job,
        "department": department,
        "status": status,
        "location": location,
        "manager": manager,
        "hireDate": hire,
    }
    user["attributes"] = attributes
    if extra:
        user.update(extra)
    users.append(user)
    return user


def fresh_name(gender):
    while True:
        name = rng.choice(FIRST[gender]) + " " + rng.choice(LAST)
        if name not in used_names:
            return name


def hire_date(earliest_year=2012):
    year = earliest_year + rng.below(2025 - earliest_year + 1)
    month = 1 + rng.below(12 if year < 2025 else 5)
    day = 1 + rng.below(28)
    return f"{year:04d}-{month:02d}-{day:02d}"


# The leadership: fixed people the demo and the tests name by id.
add_user("u-camille", "Camille Laurent", "female", "Chief Executive Officer", "Executive", "Paris", None, "2012-03-01", org_role="owner")
add_user("u-raj", "Raj Malhotra", "male", "Chief Technology Officer", "Engineering", "London", "u-camille", "2013-09-16")
add_user("u-ingrid", "Ingrid Larsen", "female", "Chief Financial Officer", "Finance", "Berlin", "u-camille", "2016-01-11")
add_user("u-marc", "Marc Dubois", "male", "VP of Sales", "Sales", "New York", "u-camille", "2015-05-04")
add_user("u-helene", "Hélène Moreau", "female", "VP of Customer Support", "Support", "Paris", "u-camille", "2014-10-20")
add_user("u-nadia", "Nadia Haddad", "female", "Chief People Officer", "People", "Paris", "u-camille", "2017-02-27")
add_user("u-olivia", "Olivia Bennett", "female", "Chief Product Officer", "Product", "London", "u-camille", "2018-06-18")
add_user("u-amelia", "Amelia Clarke", "female", "IT Director", "IT", "London", "u-camille", "2016-08-01", org_role="admin")
add_user("u-jonas", "Jonas Weber", "male", "Systems Administrator", "IT", "Berlin", "u-amelia", "2019-04-15", org_role="admin")
DEPARTMENT_HEADS = {
    "Engineering": "u-raj", "Finance": "u-ingrid", "Sales": "u-marc", "Support": "u-helene",
    "People": "u-nadia", "Product": "u-olivia", "Design": "u-olivia", "Marketing": "u-camille",
    "IT": "u-amelia",
}

# The people the demo follows.
add_user("u-sophie", "Sophie Martin", "female", "Product Designer", "Design", "Paris", None, "2021-09-06",
         extra={"locale": "fr-FR"})
add_user("u-lucas", "Lucas Bernard", "male", "Senior Backend Engineer", "Engineering", "Paris", None, "2019-11-04")
add_user("u-priya", "Priya Patel", "female", "Support Agent", "Support", "London", None, "2022-02-14")
add_user("u-elodie", "Élodie Petit", "female", "Support Manager", "Support", "Paris", "u-helene", "2018-03-12")
add_user("u-oliver", "Oliver Smith", "male", "Sales Manager", "Sales", "London", "u-marc", "2017-07-03")
add_user("u-theo", "Théo Garcia", "male", "Site Reliability Engineer", "Engineering", "Paris", None, "2020-05-25")
add_user("u-mei", "Mei Tanaka", "female", "Account Executive", "Sales", "Paris", None, "2023-01-09",
         extra={"preventHomepageRedirect": True})

# One manager per team, then the rest of the head count.
managers = {}
for department, (weight, group, titles, manager_title) in DEPARTMENTS.items():
    if department == "Engineering":
        continue
    if department == "Support":
        managers[department] = ["u-elodie"]
        team_members.setdefault(group, []).append("u-elodie")
        continue
    if department == "Sales":
        managers[department] = ["u-oliver"]
        team_members.setdefault(group, []).append("u-oliver")
    else:
        managers[department] = []
    for _ in range(2 if weight >= 10 else 1):
        gender = rng.weighted(GENDERS)
        uid = f"u-{len(users) + 1:04d}"
        add_user(uid, fresh_name(gender), gender, manager_title, department, rng.weighted(LOCATIONS),
                 DEPARTMENT_HEADS[department], hire_date(2013))
        managers[department].append(uid)
        team_members.setdefault(group, []).append(uid)
for team, (weight, titles, manager_title) in ENGINEERING_TEAMS.items():
    gender = rng.weighted(GENDERS)
    uid = f"u-{len(users) + 1:04d}"
    location = "Paris" if team == "g-eng-devops" else rng.weighted(LOCATIONS)
    add_user(uid, fresh_name(gender), gender, manager_title, "Engineering", location, "u-raj", hire_date(2014))
    managers[team] = [uid]
    team_members.setdefault(team, []).append(uid)

for uid, team in [("u-lucas", "g-eng-backend"), ("u-theo", "g-eng-devops")]:
    next(u for u in users if u["id"] == uid)["attributes"]["manager"] = managers[team][0]
    team_members[team].append(uid)
for uid, department in [("u-priya", "Support"), ("u-mei", "Sales")]:
    next(u for u in users if u["id"] == uid)["attributes"]["manager"] = managers[department][0]
    team_members[DEPARTMENTS[department][1]].append(uid)
next(u for u in users if u["id"] == "u-sophie")["attributes"]["manager"] = managers["Design"][0]
team_members["g-design"].append("u-sophie")

buckets = [(("dept", d), w) for d, (w, _, _, _) in DEPARTMENTS.items() if w > 0]
buckets += [(("team", t), w) for t, (w, _, _) in ENGINEERING_TEAMS.items()]
while len(users) < USER_COUNT:
    kind, key = rng.weighted(buckets)
    gender = rng.weighted(GENDERS)
    uid = f"u-{len(users) + 1:04d}"
    status = rng.weighted(STATUSES)
    if kind == "dept":
        _, group, titles, _ = DEPARTMENTS[key]
        department = key
        manager = rng.choice(managers[key])
    else:
        group, titles = key, ENGINEERING_TEAMS[key][1]
        department = "Engineering"
        manager = managers[key][0]
    user = add_user(uid, fresh_name(gender), gender, rng.weighted(titles), department,
                    rng.weighted(LOCATIONS), manager, hire_date(), status=status)
    if rng.chance(8):
        user["roles"] = ["r-employee"]  # a redundant direct role, as real directories have
    if status != "Terminated" or rng.chance(50):  # offboarding is not always finished
        team_members.setdefault(group, []).append(uid)

by_id = {u["id"]: u for u in users}

# A few direct assignments and profile quirks worth asking about.
by_id["u-jonas"]["roles"] = ["r-security-admin"]
by_id["u-amelia"]["roles"] = ["r-security-admin", "r-it-support"]
by_id["u-lucas"]["attributes"]["skills"] = ["rust", "postgres", "kafka"]
by_id["u-camille"]["dashboard"] = {"layout": "board", "widgets": ["revenue", "headcount", "nps"]}
by_id["u-ingrid"]["primaryGroup"] = "g-finance"

engineers = [uid for team in ENGINEERING_TEAMS for uid in team_members[team]]
support_agents = [uid for uid in team_members["g-support"]]


def entry(user, **bounds):
    item = {"user": user}
    item.update(bounds)
    return item


ROLES = [
    {"id": "r-employee", "name": {"en": "Employee", "fr": "Employé"}, "permissions": ["intranet.read", "directory.read", "expenses.submit"]},
    {"id": "r-people-manager", "name": {"en": "People Manager", "fr": "Manager"}, "permissions": ["team.review", "expenses.approve", "timeoff.approve"]},
    {"id": "r-executive", "name": "Executive", "permissions": ["exec.briefing.view", "finance.read", "headcount.read"], "privileged": True},
    {"id": "r-developer", "name": {"en": "Developer", "fr": "Développeur"}, "permissions": ["repo.read", "repo.write", "ci.run"]},
    {"id": "r-devops", "name": "DevOps Operator", "permissions": ["deploy.production", "infra.write", "incident.manage"], "privileged": True},
    {"id": "r-data-analyst", "name": "Data Analyst", "permissions": ["warehouse.query", "dashboards.edit"]},
    {"id": "r-qa", "name": "QA Tester", "permissions": ["testplan.edit", "ci.run"]},
    {"id": "r-designer", "name": {"en": "Designer", "fr": "Designer"}, "permissions": ["design.edit", "design.publish"]},
    {"id": "r-product", "name": "Product Owner", "permissions": ["roadmap.edit", "design.comment"]},
    {"id": "r-support-agent", "name": {"en": "Support Agent", "fr": "Agent du support"}, "permissions": ["tickets.read", "tickets.reply", "customers.read"]},
    {"id": "r-support-lead", "name": "Support Lead", "permissions": ["tickets.assign", "macros.edit", "tickets.read"]},
    {"id": "r-sales-rep", "name": "Sales Representative", "permissions": ["crm.read", "crm.write", "quotes.create"]},
    {"id": "r-marketing", "name": "Marketer", "permissions": ["campaigns.edit", "crm.read"]},
    {"id": "r-people-partner", "name": "People Partner", "permissions": ["hr.read", "hr.write", "payroll.read"], "privileged": True},
    {"id": "r-finance", "name": "Finance", "permissions": ["finance.read", "finance.write", "payroll.read"], "privileged": True},
    {"id": "r-it-support", "name": "IT Support", "permissions": ["devices.manage", "accounts.reset"]},
    {"id": "r-security-admin", "name": "Security Administrator", "permissions": ["audit.read", "sso.configure", "accounts.reset"], "privileged": True},
    {"id": "r-oncall", "name": "On-call Responder", "permissions": ["incident.manage", "incident.page"]},
    {"id": "r-vpn", "name": "Legacy VPN", "permissions": ["vpn.connect"]},
]

PRODUCTS = [
    ("p-github", "GitHub"), ("p-jira", "Jira"), ("p-confluence", "Confluence"), ("p-figma", "Figma"),
    ("p-zendesk", "Zendesk"), ("p-salesforce", "Salesforce"), ("p-pagerduty", "PagerDuty"),
    ("p-datadog", "Datadog"), ("p-slack", "Slack"), ("p-workday", "Workday"), ("p-tableau", "Tableau"),
    ("p-snowflake", "Snowflake"), ("p-testrail", "TestRail"), ("p-hubspot", "HubSpot"),
    ("p-netsuite", "NetSuite"), ("p-1password", "1Password"), ("p-legacy-vpn", "Legacy VPN"),
]

MODULES = [
    {"id": "m-home", "name": "Home"},
    {"id": "m-engineering", "name": "Engineering Portal"},
    {"id": "m-support", "name": "Support Console"},
    {"id": "m-sales", "name": "Sales Hub"},
    {"id": "m-people", "name": "People Portal"},
    {"id": "m-finance", "name": "Finance Cockpit"},
    {"id": "m-exec", "name": "Executive Briefing", "requiredPermission": "exec.briefing.view"},
]

day = 0


def created(by="u-amelia"):
    global day
    day += 3 + rng.below(20)
    year, rest = 2023 + day // 336, day % 336
    return {"createdAt": f"{year:04d}-{1 + rest // 28:02d}-{1 + rest % 28:02d}T09:00:00Z", "createdBy": by}


def team(gid, name, slug, description, members, roles, products, **more):
    group = {"id": gid, "name": name, "slug": slug, "description": description}
    group.update(created())
    if members:
        group["members"] = members
    group["roles"] = roles
    group["products"] = products
    group.update(more)
    return group


groups = [
    team("g-all-employees", {"en": "All Employees", "fr": "Tous les employés"}, "all-employees",
         "Everyone currently employed", None, ["r-employee"], ["p-slack", "p-confluence", "p-workday", "p-1password"],
         rule="status = Active"),
    team("g-exec", "Executive Leadership Team", "executive-leadership-team",
         "The CEO and the executives who report to the CEO",
         ["u-camille", "u-raj", "u-ingrid", "u-marc", "u-helene", "u-nadia", "u-olivia", "u-amelia"],
         ["r-executive"], ["p-tableau", "p-netsuite", "p-salesforce"],
         homepageModule="m-exec", dashboard={"layout": "grid", "widgets": ["kpis", "pipeline", "headcount", "burn"]}),
    team("g-people-managers", "All People Managers", "all-people-managers",
         "Everyone who manages a team, found by job title",
         None, ["r-people-manager"], ["p-workday"],
         rule="job LIKE Manager OR job LIKE Director OR job LIKE \"Head of\" OR job STARTS WITH \"VP \" OR job LIKE Chief"),
    team("g-cto-org", "CTO Organization", "cto-organization",
         "Everyone reporting to the CTO, directly or not", None, [], ["p-jira"],
         rule={"field": "manager", "op": "REPORTS TO", "value": "u-raj"}),
]

ENGINEERING_NAMES = {
    "g-eng-backend": ("Backend Team", "backend-team", ["r-developer"], ["p-datadog", "p-pagerduty"]),
    "g-eng-frontend": ("Frontend Team", "frontend-team", ["r-developer"], ["p-figma"]),
    "g-eng-devops": ("DevOps Team", "devops-team", ["r-developer", "r-devops"], ["p-datadog", "p-pagerduty"]),
    "g-eng-mobile": ("Mobile Team", "mobile-team", ["r-developer"], ["p-figma", "p-testrail"]),
    "g-eng-qa": ("QA Team", "qa-team", ["r-qa"], ["p-testrail"]),
    "g-eng-data": ("Data Team", "data-team", ["r-developer", "r-data-analyst"], ["p-snowflake", "p-tableau"]),
}
for gid, (name, slug, roles, products) in ENGINEERING_NAMES.items():
    groups.append(team(gid, name, slug, f"The {name.lower()} of engineering",
                       sorted(set(team_members[gid])), roles, products))
groups.append(team("g-eng-all", {"en": "Engineering - All", "fr": "Ingénierie - Tous"}, "engineering-all",
                   "Every engineering team", None, [], ["p-github", "p-jira", "p-confluence"],
                   includeGroups=list(ENGINEERING_NAMES), homepageModule="m-engineering",
                   dashboard={"layout": "columns", "widgets": ["deploys", "incidents", "pull-requests"]}))

groups += [
    team("g-product", "Product Management", "product-management", "Product managers and owners",
         sorted(set(team_members["g-product"])), ["r-product"], ["p-jira", "p-figma", "p-tableau"]),
    team("g-design", {"en": "Design Team", "fr": "Équipe Design"}, "design-team", "Product and visual design",
         sorted(set(team_members["g-design"])), ["r-designer"], ["p-figma", "p-jira"]),
    team("g-sales", "Sales Team", "sales-team", "Everyone in the Sales department",
         None, ["r-sales-rep"], ["p-salesforce", "p-hubspot"],
         rule="department = Sales AND status != Terminated", homepageModule="m-sales"),
    team("g-support", {"en": "Customer Support", "fr": "Support client"}, "customer-support",
         "Support agents, leads and managers", sorted(set(support_agents)),
         ["r-support-agent"], ["p-zendesk", "p-jira"],
         homepageModule="m-support",
         dashboard={"layout": "queue", "widgets": ["open-tickets", "sla-breaches", "csat"]},
         dashboardDraft={"layout": "queue", "widgets": ["open-tickets", "sla-breaches", "csat", "ai-suggestions"]}),
    team("g-support-leads", "Support Leads", "support-leads", "Team leads and managers of support",
         None, ["r-support-lead"], [],
         rule={"all": [{"field": "department", "op": "=", "value": "Support"},
                       {"any": [{"field": "jobTitle", "op": "LIKE", "value": "Lead"},
                                {"field": "jobTitle", "op": "LIKE", "value": "Manager"}]}]}),
    team("g-marketing", "Marketing", "marketing", "Campaigns and content",
         sorted(set(team_members["g-marketing"])), ["r-marketing"], ["p-hubspot"]),
    team("g-people", {"en": "People & Culture", "fr": "Ressources humaines"}, "people-culture",
         "Recruiting, people partners and payroll", sorted(set(team_members["g-people"])),
         ["r-people-partner"], ["p-workday"], homepageModule="m-people"),
    team("g-finance", "Finance", "finance", "Accounting and financial planning",
         None, ["r-finance"], ["p-netsuite", "p-tableau"],
         rule="department = Finance", homepageModule="m-finance"),
    team("g-it", "IT", "it", "Devices, accounts and internal tools",
         sorted(set(team_members["g-it"]) | {"u-amelia", "u-jonas"}), ["r-it-support"], ["p-1password"]),
    team("g-security-admins", "Security Admins", "security-admins", "Single sign-on and audit administrators",
         ["u-amelia", "u-jonas"], ["r-security-admin"], []),
]

# Offices: a dynamic group per city, Paris split further.
groups += [
    team("g-paris-all", {"en": "Paris Office - All Employees", "fr": "Bureau de Paris - Tous les employés"},
         "paris-office-all-employees", "Active employees based in Paris", None, [], [],
         rule="location = Paris AND status = Active"),
    team("g-paris-managers", {"en": "Paris Office - Managers", "fr": "Bureau de Paris - Managers"},
         "paris-office-managers", "Managers of the Paris office", [
             entry("u-elodie", addedAt="2024-01-08T09:30:00Z"),
             entry("u-theo", addedAt="2025-05-01T08:00:00Z", startsAt="2025-05-01T00:00:00+02:00",
                   expiresAt="2025-09-30T00:00:00+02:00"),
         ], [], ["p-tableau"],
         rule={"all": [{"op": "MEMBER OF", "value": "g-paris-all"},
                       {"field": "job", "op": "LIKE", "value": "Manager"}]}),
    team("g-london", "London Office", "london-office", "Employees based in London", None, [], [],
         rule="location = London AND status = Active"),
    team("g-berlin", {"en": "Berlin Office", "fr": "Bureau de Berlin", "de": "Büro Berlin"}, "berlin-office",
         "Employees based in Berlin", None, [], [], rule="location = Berlin AND status = Active"),
    team("g-new-york", "New York Office", "new-york-office", "Employees based in New York", None, [], [],
         rule="location = \"New York\" AND status = Active"),
    team("g-europe", "Europe", "europe", "The European offices", None, [], [],
         includeGroups=["g-paris-all", "g-london", "g-berlin"]),
]

# Time-bounded memberships, a retired group and a hidden one.
oncall = [e for e in engineers if by_id[e]["attributes"]["status"] == "Active"][:6]
groups += [
    team("g-oncall", "On-call Rotation", "on-call-rotation", "This month's incident responders", [
        entry(oncall[0], startsAt="2025-05-26T00:00:00Z", expiresAt="2025-06-09T00:00:00Z"),
        entry(oncall[1], startsAt="2025-05-12T00:00:00Z", expiresAt="2025-05-26T00:00:00Z"),
        entry(oncall[2], startsAt="2025-06-09T00:00:00Z", expiresAt="2025-06-23T00:00:00Z"),
        entry("u-theo", addedAt="2024-01-15T10:00:00Z"),
    ], ["r-oncall"], ["p-pagerduty"]),
    team("g-contractors", "Contractors - Q2 Project", "contractors-q2-project",
         "External contractors on the Q2 migration, access ends with the contract", [
             entry(support_agents[-1], expiresAt="2025-06-30T23:59:59Z"),
             entry(engineers[-1], expiresAt="2025-04-30T23:59:59Z"),
         ], ["r-developer"], ["p-github"]),
    team("g-legacy-vpn", "Legacy VPN Users", "legacy-vpn-users", "Retired when the zero-trust proxy shipped",
         sorted(set(engineers[:25])), ["r-vpn"], ["p-legacy-vpn"], isActive=False),
    team("g-board-observers", "Board Observers", "board-observers", "Invited observers of board meetings",
         ["u-camille", "u-ingrid"], [], [], isVisible=False),
]

tenant = {
    "revision": "sample-2025-06-01",
    "asOf": "2025-06-01T09:00:00Z",
    "defaultLocale": "en",
    "defaults": {"dashboard": {"layout": "grid", "widgets": ["announcements", "my-apps", "calendar"]}},
    "modules": MODULES,
    "roles": ROLES,
    "products": [{"id": pid, "name": name} for pid, name in PRODUCTS],
    "groups": groups,
    "users": users,
}

json.dump(tenant, sys.stdout, ensure_ascii=False, indent=1)
sys.stdout.write("\n")
