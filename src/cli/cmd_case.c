/*
 * cmd_case.c - `wangge case report|show|act|list`: the case loop from the
 * command line, acting as an account (--as LOGIN) with that account's
 * roles; every change is in the audit log as "cli:<unix user>".
 */
#include "cli/cli.h"
#include "core/audit.h"
#include "core/cases.h"
#include "core/locator.h"
#include "core/users.h"
#include "core/vault.h"
#include "store/store.h"
#include "util/strparse.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const keys[] = {"db", "key_file", "busy_timeout_ms", "log_level",
                                   "work_periods", "utc_offset_minutes", "duplicate_radius_m",
                                   "duplicate_window_hours", "duplicate_limit", NULL};

typedef struct {
    const char *as, *category, *grid, *description, *urgency, *source, *note, *department,
        *status, *reason, *departments;
    const char *lon, *lat, *into, *rating, *days, *limit;
} case_opts;

static int on_opt(int val, const char *arg, void *ctx)
{
    case_opts *o = ctx;
    const char **slot[] = {['a'] = &o->as,       ['g'] = &o->category,  ['G'] = &o->grid,
                           ['d'] = &o->description, ['u'] = &o->urgency, ['s'] = &o->source,
                           ['n'] = &o->note,     ['D'] = &o->department, ['S'] = &o->status,
                           ['r'] = &o->reason,   ['R'] = &o->departments, ['x'] = &o->lon,
                           ['y'] = &o->lat,      ['i'] = &o->into,      ['t'] = &o->rating,
                           ['e'] = &o->days,     ['l'] = &o->limit};
    if (val < 0 || (size_t)val >= WG_ARRAY_LEN(slot) || !slot[val])
        return EXIT_USAGE;
    *slot[val] = arg;
    return 0;
}

static const struct option extra[] = {
    {"as", required_argument, NULL, 'a'},          {"category", required_argument, NULL, 'g'},
    {"grid", required_argument, NULL, 'G'},        {"description", required_argument, NULL, 'd'},
    {"urgency", required_argument, NULL, 'u'},     {"source", required_argument, NULL, 's'},
    {"note", required_argument, NULL, 'n'},        {"department", required_argument, NULL, 'D'},
    {"status", required_argument, NULL, 'S'},      {"reason", required_argument, NULL, 'r'},
    {"departments", required_argument, NULL, 'R'}, {"lon", required_argument, NULL, 'x'},
    {"lat", required_argument, NULL, 'y'},         {"into", required_argument, NULL, 'i'},
    {"rating", required_argument, NULL, 't'},      {"days", required_argument, NULL, 'e'},
    {"limit", required_argument, NULL, 'l'},       {NULL, 0, NULL, 0},
};

static const char extra_help[] =
    "  --as LOGIN          act as this account, with its roles (report, act)\n"
    "  --category CODE --description TEXT (--lon X --lat Y | --grid CODE)\n"
    "  [--urgency normal|urgent] [--source grid_member|citizen|hotline|platform|inspection]\n"
    "                      what to report\n"
    "  --note TEXT --department CODE --into ID --rating 1-5 --days N\n"
    "  --reason WHY --departments A,B   for actions (dispatch, merge, rate, approve_extension,\n"
    "                      whistle)\n"
    "  --status S --category C --grid PREFIX --limit N   for list\n";

static void print_json(json_t *j)
{
    char *t = json_dumps(j, JSON_INDENT(2));
    puts(t ? t : "null");
    free(t);
}

static bool num(const char *s, double lo, double hi, double *out)
{
    return s && parse_double(s, strlen(s), lo, hi, out);
}

static wg_err print_row(void *ctx, const store_case *c)
{
    (void)ctx;
    printf("%-7lld %-12s %-6s %-18s %-12s %s\n", (long long)c->id, c->status, c->category, c->grid,
           c->department, c->description);
    return WG_OK;
}

static wg_err collect_event(void *ctx, const store_event *ev)
{
    json_error_t je;
    json_t *data = json_loads(ev->data, 0, &je);
    json_array_append_new(ctx, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:o}", "id",
                                         (json_int_t)ev->id, "at", (json_int_t)ev->at, "actor",
                                         ev->actor, "action", ev->action, "from", ev->from_status,
                                         "to", ev->to_status, "note", ev->note, "data",
                                         data ? data : json_object()));
    return WG_OK;
}

int cmd_case(int argc, char **argv)
{
    static const char usage[] =
        "usage: wangge case report --as LOGIN --category CODE --description TEXT (--lon X --lat Y "
        "| --grid CODE)\n"
        "       wangge case show ID\n"
        "       wangge case act ID ACTION --as LOGIN [--note TEXT] [...]\n"
        "       wangge case list [--status S] [--category C] [--grid PREFIX] [--limit N]\n";
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        if (argc >= 2)
            printf("\nActions: file reject merge dispatch return acknowledge start feed_back "
                   "verify\nfail_verification close request_extension approve_extension defer "
                   "reopen whistle rate.\nRun 'wangge case report --help' for every option.\n");
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "report") && strcmp(sub, "show") && strcmp(sub, "act") && strcmp(sub, "list")) {
        cli_error("case", "unknown subcommand '%s' (see 'wangge case --help')", sub);
        return EXIT_USAGE;
    }
    char name[32];
    snprintf(name, sizeof(name), "case %s", sub);
    argv[1] = name;
    case_opts o = {0};
    wg_config cfg;
    int first;
    int rc = cli_config_ex(argc - 1, argv + 1, usage, "The case loop from the command line.", keys,
                           extra, extra_help, on_opt, &o, &cfg, &first);
    if (rc >= 0)
        return rc;
    char **args = argv + 1 + first;
    int nargs = argc - 1 - first;
    int want = !strcmp(sub, "show") ? 1 : !strcmp(sub, "act") ? 2 : 0;
    if (nargs != want) {
        cli_error("case", "wrong number of arguments (see 'wangge case --help')");
        return EXIT_USAGE;
    }
    if ((!strcmp(sub, "report") || !strcmp(sub, "act")) && !o.as) {
        cli_error("case", "%s needs --as LOGIN", sub);
        return EXIT_USAGE;
    }
    store *s;
    vault *v;
    if ((rc = cli_open("case", &cfg, false, &s, &v)))
        return rc;
    calendar *cal = NULL;
    locator *l = NULL;
    wg_why why = {0};
    wg_err e = cases_calendar(s, cfg.work_periods, (int)cfg.utc_offset_minutes, &cal, &why);
    if (!e)
        e = locator_build(s, &l, &why);
    case_env env = {.cal = cal, .now = (int64_t)time(NULL),
                    .duplicate_radius_m = (double)cfg.duplicate_radius_m,
                    .duplicate_window_s = cfg.duplicate_window_hours * 3600,
                    .duplicate_limit = (int)cfg.duplicate_limit};
    actor who = {0};
    if (!e && o.as) {
        store_user u;
        e = store_user_get(s, o.as, &u);
        if (e == WG_ERR_NOT_FOUND)
            e = wg_fail(&why, e, "as", "no account '%s'", o.as);
        else if (!e)
            e = users_load_actor(s, u.id, &who);
    }
    store_case c;
    if (!e && !strcmp(sub, "list")) {
        double lim = 50;
        if (o.limit && !num(o.limit, 1, 100000, &lim))
            e = wg_fail(&why, WG_ERR_INVALID, "limit", "--limit is 1 to 100000");
        store_case_filter f = {.all = true, .overdue = -1, .status = o.status,
                               .category = o.category, .grid = o.grid, .limit = (int)lim};
        if (!e)
            e = store_case_list(s, &f, print_row, NULL);
    } else if (!e && !strcmp(sub, "show")) {
        int64_t id;
        if (!parse_i64(args[0], strlen(args[0]), 1, INT64_MAX, &id))
            e = wg_fail(&why, WG_ERR_INVALID, "id", "not a case id: %s", args[0]);
        if (!e && !(e = store_case_get(s, id, &c))) {
            json_t *j = cases_json(s, &c, cal), *h = json_array();
            store_case_events(s, id, collect_event, h);
            json_object_set_new(j, "history", h);
            print_json(j);
            json_decref(j);
        }
    } else if (!e) {
        double lon = 0, lat = 0, into = 0, rating = 0, days = 0;
        bool point = o.lon || o.lat;
        if (point && (!num(o.lon, -180, 180, &lon) || !num(o.lat, -90, 90, &lat)))
            e = wg_fail(&why, WG_ERR_INVALID, "lon", "--lon and --lat are numbers");
        if ((o.into && !num(o.into, 1, 1e15, &into)) || (o.rating && !num(o.rating, 1, 5, &rating)) ||
            (o.days && !num(o.days, 1, 60, &days)))
            e = wg_fail(&why, WG_ERR_INVALID, NULL, "--into, --rating or --days out of range");
        if (!e)
            e = store_begin(s);
        if (!e && !strcmp(sub, "report")) {
            case_input in = {.category = o.category, .urgency = o.urgency, .source = o.source,
                             .description = o.description, .has_point = point, .lon = lon,
                             .lat = lat, .grid = o.grid};
            e = cases_report(s, v, l, &env, &who, &in, &c, &why);
        } else if (!e) {
            int64_t id;
            case_action a;
            const char *dl[10];
            char buf[512];
            int nd = 0;
            if (o.departments) {
                snprintf(buf, sizeof(buf), "%s", o.departments);
                for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t && nd < 10;
                     t = strtok_r(NULL, ",", &sv))
                    dl[nd++] = t;
            }
            case_act_input in = {.note = o.note, .department = o.department,
                                 .into = (int64_t)into, .reason = o.reason, .departments = dl,
                                 .ndepartments = nd, .rating = (int)rating,
                                 .extend_days = (int)days};
            if (!parse_i64(args[0], strlen(args[0]), 1, INT64_MAX, &id))
                e = wg_fail(&why, WG_ERR_INVALID, "id", "not a case id: %s", args[0]);
            else if (!cases_action_parse(args[1], &a))
                e = wg_fail(&why, WG_ERR_INVALID, "action", "no action '%s'", args[1]);
            else if (!(e = store_case_get(s, id, &c)) && !cases_visible(s, &c, &who))
                e = wg_fail(&why, WG_ERR_NOT_FOUND, NULL, "%s cannot see case %lld", o.as,
                            (long long)id);
            if (!e)
                e = cases_act(s, &env, &who, &c, a, &in, &why);
        }
        if (!e) {
            char res[64], detail[128];
            snprintf(res, sizeof(res), "/api/cases/%lld", (long long)c.id);
            snprintf(detail, sizeof(detail), "as %s: %s -> %s", o.as,
                     nargs > 1 ? args[1] : "report", c.status);
            audit_event ev = {.actor = cli_actor(),
                              .action = !strcmp(sub, "report") ? "case.report" : "case.act",
                              .resource = res, .detail = detail};
            e = audit_append(s, &ev);
        }
        if (!e)
            e = store_commit(s);
        if (e)
            store_rollback(s);
        else {
            json_t *j = cases_json(s, &c, cal);
            json_object_set_new(j, "allowed_actions", cases_allowed_json(cases_allowed(s, &c, &who)));
            print_json(j);
            json_decref(j);
        }
    }
    if (e) {
        cli_error("case", "%s", why.msg[0] ? why.msg : wg_strerror(e));
        rc = EXIT_FAIL;
    } else {
        rc = EXIT_OK;
    }
    locator_free(l);
    calendar_free(cal);
    vault_free(v);
    store_close(s);
    return rc;
}
