/*
 * demo_cases.c - see demo_cases.h.
 *
 * Three passes. Plan every case: its final state (drawn from a deck of
 * quotas, so even a small n shows every state), what happens on the way
 * (return, extension, rework, whistle, a late step, a rating), category,
 * source and micro-grid. Schedule each plan's steps in working time from
 * its report time, moving the report earlier until the last step is no
 * later than `now`. Play the plans oldest first through cases_report and
 * cases_act, each step by the actor the workflow table wants.
 */
#include "core/demo_cases.h"
#include "core/catalogue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED 0x20231015C45E5EEDULL
#define MINUTE 60
#define HOUR 3600
#define DAY 86400
#define SPAN (90 * (int64_t)DAY)
#define RECENT (7 * (int64_t)DAY) /* where the open cases of late are */
#define MAX_STEPS 40
#define MAX_DEPTS 64
#define MAX_CATS 256
#define MAX_WD 2 /* departments one whistle calls */

/* The grid scopes of the demo accounts (cmd_demo.c). */
#define STAFF_SCOPE "410102008004"
#define CHIEF_SCOPE "4101020080040101"
#define MEMBER_SCOPE "410102008004010101"

/* ---- a deterministic generator: splitmix64 ---- */

typedef struct {
    uint64_t s;
} rng;

static uint64_t rnd(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int rnd_int(rng *r, int lo, int hi)
{
    return lo + (int)(rnd(r) % (uint64_t)(hi - lo + 1));
}

static double rnd_unit(rng *r)
{
    return (double)(rnd(r) >> 11) / 9007199254740992.0;
}

static double rnd_range(rng *r, double lo, double hi)
{
    return lo + (hi - lo) * rnd_unit(r);
}

static bool chance(rng *r, double p)
{
    return rnd_unit(r) < p;
}

#define PICK(r, a) ((a)[rnd(r) % WG_ARRAY_LEN(a)])

/* ---- texts ----
 * In templates: #S the street, #T another street, #H a house number, #C
 * the estate, #B a building, #U a unit, #F a floor, #N 2..9, #K the
 * category's name. */

/* Per category: how often (relative), the share reported urgent, and what
 * the department reports back when done. */
static const struct {
    const char *code;
    int weight, urgent_pct;
    const char *fix;
} kinds[] = {
    {"E0101", 8, 3, "已组织环卫人员清运，现场已清理干净"},
    {"E0102", 8, 3, "已通知住户清理杂物，通道已畅通"},
    {"E0103", 3, 3, "已对遗撒路面清扫冲洗，并对渣土车辆立案处罚"},
    {"E0104", 3, 3, "已督促对裸土进行覆盖，并安排洒水降尘"},
    {"E0105", 4, 3, "已责令商户安装油烟净化设备，整改完成"},
    {"E0106", 3, 3, "已劝离露天烧烤摊点，现场恢复正常"},
    {"E0201", 6, 3, "已清除小广告，墙面已粉刷覆盖"},
    {"E0202", 2, 3, "已责令商户拆除违规广告牌"},
    {"E0301", 3, 3, "已下达限期拆除通知书，违建已拆除"},
    {"E0302", 3, 3, "已约谈施工单位，夜间停止高噪声作业"},
    {"E0303", 2, 3, "已督促工地落实洒水降尘，车辆冲洗到位"},
    {"E0401", 2, 40, "燃气公司已上门检测，漏点已修复，无安全隐患"},
    {"E0402", 2, 25, "已疏通雨水篦子，积水已排除"},
    {"E0403", 3, 15, "已清理易燃杂物，并开展消防安全宣传"},
    {"E0404", 8, 5, "已拆除飞线，劝导住户到集中充电桩充电"},
    {"E0501", 6, 3, "已劝离流动商贩，引导入市经营"},
    {"E0502", 5, 3, "已责令商户将物品收回店内经营"},
    {"E0503", 6, 3, "已联系车主挪车，并张贴违停告知单"},
    {"E0504", 9, 3, "已将车辆规范摆放，通道已畅通"},
    {"E0505", 3, 3, "已组织双方调解，达成一致意见"},
    {"E0601", 2, 3, "已安排人员处理完毕"},
    {"C0101", 3, 15, "已更换新井盖，隐患已消除"},
    {"C0102", 1, 40, "已补装井盖，并设置警示标志"},
    {"C0103", 1, 3, "已修复消防栓，试水正常"},
    {"C0104", 1, 50, "燃气公司已抢修管线，恢复供气"},
    {"C0201", 4, 3, "已更换灯具，路灯恢复照明"},
    {"C0202", 3, 3, "已对破损路面进行修补"},
    {"C0203", 2, 3, "已更换修复交通标志"},
    {"C0301", 3, 3, "已更换新垃圾箱"},
    {"C0401", 2, 3, "已清理断枝，并对倾斜树木加固"},
    {"C0601", 3, 3, "已维修完毕，设施恢复使用"},
};

/* What people report, per category. */
static const struct {
    const char *code, *text;
} templates[] = {
    {"E0101", "#S#H号门前绿化带内有暴露垃圾，无人清理"},
    {"E0101", "#C#B号楼南侧垃圾桶满溢，周边散落生活垃圾"},
    {"E0101", "#S沿街商铺门口堆积暴露垃圾约#N袋，招引蚊蝇"},
    {"E0102", "#C#B号楼#U单元楼道内堆放纸箱、旧家具等杂物，堵塞消防通道"},
    {"E0102", "#C#B号楼楼下空地长期堆放废旧物品和建筑材料"},
    {"E0102", "#S#H号院内居民私自堆放杂物，占用公共通道"},
    {"E0103", "#S由东向西方向有渣土车遗撒泥土，长约#N0米"},
    {"E0103", "#S与#T交叉口路面有大量砂石遗撒，影响车辆通行"},
    {"E0103", "#S辅道有混凝土遗撒，已硬化结块"},
    {"E0104", "#S#H号附近裸土未覆盖，刮风时扬尘严重"},
    {"E0104", "#S路边拆迁空地黄土裸露，未采取防尘措施"},
    {"E0104", "#C#B号楼北侧空地渣土堆未苫盖，起风扬尘"},
    {"E0105", "#S#H号一楼餐馆油烟直排，未安装油烟净化设备，楼上居民反映强烈"},
    {"E0105", "#C底商烧烤店油烟扰民，熏黑#B号楼外墙"},
    {"E0105", "#S一家小吃店排烟管道正对居民楼窗户"},
    {"E0106", "#S#H号门前夜间露天烧烤，烟雾较大，占用人行道"},
    {"E0106", "#C南门外每晚有露天烧烤摊，至凌晨仍在营业"},
    {"E0106", "#S与#T交叉口西南角有流动烧烤摊点"},
    {"E0201", "#C#B号楼#U单元楼道墙面被喷涂开锁、疏通管道小广告"},
    {"E0201", "#S公交站牌上张贴大量办证小广告"},
    {"E0201", "#S#H号附近电线杆上张贴小广告#N处"},
    {"E0202", "#S#H号商铺擅自设置大型落地广告牌，占用人行道"},
    {"E0202", "#S沿街楼顶户外广告牌破损，存在坠落隐患"},
    {"E0202", "#S#H号门头广告未经审批，尺寸超出规定"},
    {"E0301", "#C#B号楼楼顶有人私自搭建彩钢房，约#N0平方米"},
    {"E0301", "#C#B号楼一楼住户私自扩建院墙，占用公共绿地"},
    {"E0301", "#S#H号院内正在违规加盖二层建筑"},
    {"E0302", "#S#H号工地夜间22点后仍在施工，噪音扰民"},
    {"E0302", "#C#B号楼#U单元有住户装修，午休时间电钻作业影响休息"},
    {"E0302", "#S道路施工凌晨作业，机械噪音较大"},
    {"E0303", "#S#H号建筑工地未落实洒水降尘，出入车辆未冲洗"},
    {"E0303", "#S工地围挡破损，裸土未覆盖"},
    {"E0303", "#C旁边拆迁工地渣土外运扬尘严重"},
    {"E0401", "#C#B号楼#U单元楼道内闻到明显燃气味，请尽快排查"},
    {"E0401", "#S#H号饭店液化气罐放置在后厨门外，无防护措施"},
    {"E0401", "#C#B号楼外墙燃气管道锈蚀严重"},
    {"E0402", "#S与#T交叉口雨后积水严重，车辆无法通行"},
    {"E0402", "#S下穿通道积水约#N0厘米，行人绕行"},
    {"E0402", "#C南门口雨水篦子堵塞，路面大面积积水"},
    {"E0403", "#C#B号楼#U单元楼道内堆放大量易燃杂物，存在火灾隐患"},
    {"E0403", "#S#H号商铺内私拉电线，存在火灾隐患"},
    {"E0403", "#C地下车库消防通道被车辆占用"},
    {"E0404", "#C#B号楼#U单元一楼飞线给电动车充电"},
    {"E0404", "#C#B号楼#F楼住户从窗户拉电线到楼下给电动车充电"},
    {"E0404", "#S#H号门前有人从店内私拉电线为电动车充电"},
    {"E0501", "#S#H号附近有流动商贩占道售卖水果"},
    {"E0501", "#C门口早晚有游商摆摊卖菜，影响通行"},
    {"E0501", "#S人行道上有无照经营的煎饼三轮车"},
    {"E0502", "#S#H号商铺将货架摆到店外人行道上"},
    {"E0502", "#S沿街饭店在门前人行道摆放桌椅经营"},
    {"E0502", "#S#H号汽修店占用人行道修车"},
    {"E0503", "#S#H号门前机动车违停，占用消防通道"},
    {"E0503", "#C东门口车辆乱停，堵塞小区出入口"},
    {"E0503", "#S与#T交叉口机动车占用非机动车道停放"},
    {"E0504", "#C#B号楼单元门口电动车乱停乱放，堵塞消防通道"},
    {"E0504", "#S公交站台附近共享单车乱停放，占用盲道"},
    {"E0504", "#S#H号商场门前非机动车停放杂乱"},
    {"E0505", "#C#B号楼#U单元上下楼住户因漏水问题发生纠纷"},
    {"E0505", "#C#B号楼住户与物业因停车费发生争执"},
    {"E0505", "#S#H号商户与顾客发生口角，需调解"},
    {"E0601", "#C#B号楼附近有流浪犬，居民担心安全"},
    {"E0601", "#S#H号附近有人占用人行道晾晒衣物"},
    {"E0601", "#C#B号楼楼顶排水口堵塞，雨天漏水"},
    {"C0101", "#S#H号门前人行道井盖破损，存在安全隐患"},
    {"C0101", "#C#B号楼旁污水井盖破裂，已有行人绊倒"},
    {"C0101", "#S与#T交叉口雨水井盖松动，车辆经过响声大"},
    {"C0102", "#S#H号附近井盖丢失，已临时用树枝围挡"},
    {"C0102", "#C南门外人行道窨井盖缺失"},
    {"C0102", "#S非机动车道井盖丢失，夜间非常危险"},
    {"C0103", "#S#H号门前消防栓被车辆撞倒，漏水"},
    {"C0103", "#C#B号楼旁室外消火栓锈蚀，阀门无法打开"},
    {"C0103", "#S人行道消防栓缺少盖帽"},
    {"C0104", "#S#H号施工挖断燃气管线，现场有燃气泄漏气味"},
    {"C0104", "#C#B号楼外燃气立管被车辆剐蹭变形"},
    {"C0104", "#S路边燃气标志桩缺失，管线位置不明"},
    {"C0201", "#S#H号附近连续#N盏路灯不亮，夜间行人不便"},
    {"C0201", "#C#B号楼前路灯灯杆倾斜"},
    {"C0201", "#S与#T交叉口路灯白天常亮"},
    {"C0202", "#S#H号门前路面出现坑槽，直径约一米"},
    {"C0202", "#S非机动车道路面塌陷，已放置警示锥"},
    {"C0202", "#C东门外人行道地砖松动破损"},
    {"C0203", "#S与#T交叉口限速标志牌被撞弯"},
    {"C0203", "#S#H号附近人行横道标线磨损不清"},
    {"C0203", "#S与#T交叉口指路标志牌被树枝遮挡"},
    {"C0301", "#S#H号门前果皮箱破损，垃圾散落"},
    {"C0301", "#C#B号楼垃圾桶盖子损坏，异味较大"},
    {"C0301", "#S公交站旁分类垃圾箱被撞坏"},
    {"C0401", "#S#H号门前行道树被大风刮断，树枝压在人行道上"},
    {"C0401", "#S行道树树干倾斜，存在倒伏隐患"},
    {"C0401", "#C#B号楼前树枝遮挡路灯和监控"},
    {"C0601", "#C#B号楼前健身器材损坏，存在安全隐患"},
    {"C0601", "#S#H号公交站候车亭玻璃破碎"},
    {"C0601", "#S人行道护栏断裂"},
};

/* For a category the tables do not know. */
static const char *const generic_text[] = {"#S#H号附近#K，请尽快处理",
                                           "#C#B号楼周边#K，居民反映强烈", "#S与#T交叉口#K"};

static const char *const streets[] = {"汝河路",   "淮河西路", "华山路",   "桐柏南路", "郑密路",
                                      "航海西路", "伊河路",   "嵩山南路", "颍河路",   "工人南路"};
static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴",
                                       "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"};
static const char *const given[] = {"伟", "芳", "娜", "秀英", "敏",   "静",  "丽",
                                    "强", "磊", "军", "洋",   "勇",   "艳",  "杰",
                                    "娟", "涛", "明", "超",   "桂兰", "建华"};
static const char *const reject_notes[] = {
    "经现场核实，问题不存在", "不属于网格管理事项，已告知反映人其他解决渠道",
    "信息不全，无法核实具体位置", "反映人已自行处理，无需立案"};
static const char *const return_notes[] = {"经核实不属于本单位职责范围，申请退回",
                                           "该问题应由其他职能部门处置，申请退回"};
static const char *const fail_notes[] = {"现场核查未整改到位，请重新处置",
                                         "问题出现反弹，需再次处理", "仅做表面处理，群众不满意"};
static const char *const ext_notes[] = {"需协调多个部门联合处置，申请延期",
                                        "所需材料正在采购，申请延期",
                                        "需等待天气好转后施工，申请延期"};
static const char *const defer_notes[] = {"涉及资金较大，已列入年度计划，暂缓办理",
                                          "需待片区改造统一解决，暂缓办理",
                                          "涉及产权纠纷，待相关程序结束后处理"};
static const char *const reasons[] = {"cannot_solve_alone", "lacks_enforcement_power", "emergency"};
static const char *const whistle_notes[] = {"社区单独无法解决，吹哨请相关部门到场",
                                            "需要执法力量配合，吹哨报到",
                                            "情况紧急，请立即到场处置"};

/* ---- plans ---- */

typedef enum {
    OP_FILE,
    OP_REJECT,
    OP_MERGE,
    OP_DISPATCH,
    OP_RETURN,
    OP_REDISPATCH,
    OP_ACK,
    OP_START,
    OP_FEED_BACK,
    OP_FAIL,
    OP_VERIFY,
    OP_CLOSE,
    OP_REQ_EXT,
    OP_APPROVE_EXT,
    OP_DEFER,
    OP_WHISTLE,
    OP_W_ACK,
    OP_W_PART,
    OP_W_RATE,
    OP_RATE,
} op_kind;

typedef enum {
    D_WORK,   /* working seconds after the base step */
    D_WALL,   /* wall-clock seconds after the base step */
    D_HANDLE, /* a share of the handle time, from the dispatch (or rework) */
} delay_kind;

typedef struct {
    uint8_t op, dk;
    int8_t base; /* the step the delay counts from; -1: the one before */
    int8_t arg;  /* extension days; whistled department; second feedback */
    int8_t rating;
    double amount;
    int64_t at;
} step;

enum {
    M_RETURN = 1 << 0,
    M_EXT = 1 << 1,         /* request and approve */
    M_EXT_PENDING = 1 << 2, /* request only */
    M_REWORK = 1 << 3,
    M_REWORK2 = 1 << 4,
    M_WHISTLE = 1 << 5,
    M_LATE = 1 << 6,
    M_RATE = 1 << 7,
};

enum { SRC_MEMBER, SRC_CITIZEN, SRC_HOTLINE, SRC_PLATFORM, SRC_INSPECTION, SRC_COUNT };
static const char *const source_names[SRC_COUNT] = {"grid_member", "citizen", "hotline", "platform",
                                                    "inspection"};
static const int source_weight[SRC_COUNT] = {58, 12, 16, 7, 7};

/* Final states in permille of n (closed takes the rest). */
static const int kind_permille[CS_COUNT] = {
    [CS_REPORTED] = 20,   [CS_FILED] = 20,        [CS_NOT_FILED] = 50, [CS_MERGED] = 25,
    [CS_DISPATCHED] = 30, [CS_ACKNOWLEDGED] = 25, [CS_HANDLING] = 50,  [CS_FED_BACK] = 25,
    [CS_VERIFIED] = 20,   [CS_CLOSED] = 0,        [CS_DEFERRED] = 25,
};

typedef struct {
    case_status kind;
    unsigned mods;
    bool stale; /* open and old: left past its deadline */
    int cat, source, micro, reason, nwd;
    bool urgent;
    uint64_t seed;
    int64_t t0;
    int nsteps;
    step steps[MAX_STEPS];
} plan;

typedef struct {
    int64_t id;
    int cat, micro;
    bool has_point;
    double lon, lat;
    int64_t t0;
    char text[480]; /* the description without its source's prefix */
    char address[256];
} made_case;

typedef struct {
    store *s;
    const vault *v;
    const locator *l;
    const calendar *cal;
    int64_t now, W;
    store_category *cats;
    int *cat_text; /* index into kinds[], -1 for none */
    int ncats;
    char depts[MAX_DEPTS][STORE_CODE_MAX];
    int ndepts;
    int32_t *micro; /* locator positions of the grids cases go into */
    double (*bbox)[4];
    int nmicro;
    plan *plans;
    made_case *made;
    int nmade;
    demo_cases_result *out;
    wg_why *why;
} demo_ctx;

/* The final states in which a case is still open. */
#define OPEN_KINDS                                                                                 \
    (1u << CS_REPORTED | 1u << CS_FILED | 1u << CS_DISPATCHED | 1u << CS_ACKNOWLEDGED |            \
     1u << CS_HANDLING | 1u << CS_FED_BACK | 1u << CS_VERIFIED)

static bool open_kind(case_status k)
{
    return (OPEN_KINDS >> k) & 1u;
}

static unsigned pick_mods(rng *r, case_status k)
{
    unsigned m = 0;
    switch (k) {
    case CS_DISPATCHED:
        m |= chance(r, 0.25) ? M_RETURN : 0;
        break;
    case CS_ACKNOWLEDGED:
        m |= chance(r, 0.2) ? M_EXT_PENDING : 0;
        m |= chance(r, 0.2) ? M_WHISTLE : 0;
        m |= chance(r, 0.1) ? M_RETURN : 0;
        break;
    case CS_HANDLING:
        m |= chance(r, 0.15) ? M_EXT : chance(r, 0.12) ? M_EXT_PENDING : 0;
        m |= chance(r, 0.2) ? M_REWORK : 0;
        m |= chance(r, 0.2) ? M_WHISTLE : 0;
        m |= chance(r, 0.08) ? M_RETURN : 0;
        break;
    case CS_FED_BACK:
    case CS_VERIFIED:
    case CS_CLOSED:
        m |= chance(r, 0.12) ? M_REWORK : 0;
        m |= (m & M_REWORK) && chance(r, 0.2) ? M_REWORK2 : 0;
        m |= chance(r, 0.1) ? M_WHISTLE : 0;
        m |= chance(r, 0.08) ? M_EXT : 0;
        m |= chance(r, 0.06) ? M_RETURN : 0;
        m |= chance(r, 0.1) ? M_LATE : 0;
        m |= k == CS_CLOSED && chance(r, 0.5) ? M_RATE : 0;
        break;
    case CS_REPORTED:
    case CS_FILED:
    case CS_NOT_FILED:
    case CS_MERGED:
    case CS_DEFERRED:
    case CS_COUNT:
        break;
    }
    return m;
}

/* The working seconds a category allows for a step (cases.c's deadline). */
static double limit_secs(const demo_ctx *c, const store_category *k, case_step st, bool urgent)
{
    cat_limit lim;
    if (!catalogue_limit_parse(k->limit[st], &lim))
        return HOUR;
    double secs = lim.unit == 'd' ? (double)lim.n * (double)c->W
                                  : (double)lim.n * (lim.unit == 'h' ? HOUR : MINUTE);
    if (urgent)
        secs = secs * k->urgent_percent / 100;
    return secs > MINUTE ? secs : MINUTE;
}

static void push(plan *p, op_kind op, delay_kind dk, double amount, int base, int arg, int rating)
{
    if (p->nsteps < MAX_STEPS)
        p->steps[p->nsteps++] = (step){.op = (uint8_t)op,
                                       .dk = (uint8_t)dk,
                                       .amount = amount,
                                       .base = (int8_t)base,
                                       .arg = (int8_t)arg,
                                       .rating = (int8_t)rating};
}

static double on_time(rng *r, double limit)
{
    return limit * rnd_range(r, 0.1, 0.75);
}

static double too_late(rng *r, double limit)
{
    return limit * rnd_range(r, 1.4, 4.0);
}

/* From acknowledging to starting: a little, and never most of the time
 * there is to handle the case. */
static double start_delay(rng *r, double handle)
{
    double d = rnd_range(r, 5 * MINUTE, 40 * MINUTE);
    return d < handle / 10 ? d : handle / 10;
}

/* A reporter's satisfaction: mostly content, less so after rework or delay. */
static int satisfaction(rng *r, unsigned mods)
{
    static const int dist[] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 3, 3, 2, 1};
    int s = PICK(r, dist);
    if (mods & (M_REWORK | M_LATE))
        s -= rnd_int(r, 0, 2);
    return s < 1 ? 1 : s;
}

/* The whistle, its departments reporting for duty (some late; on an open
 * case some not yet), their parts, and for open cases some ratings. */
static void plan_whistle(const demo_ctx *c, plan *p, rng *r, bool open)
{
    const store_category *k = &c->cats[p->cat];
    bool emergency = strcmp(reasons[p->reason], "emergency") == 0;
    double ack = limit_secs(c, k, STEP_ACKNOWLEDGE, p->urgent || emergency),
           handle = limit_secs(c, k, STEP_HANDLE, p->urgent);
    push(p, OP_WHISTLE, D_WORK, rnd_range(r, 10 * MINUTE, HOUR), -1, 0, 0);
    int w = p->nsteps - 1;
    double when[MAX_WD];
    bool acked[MAX_WD], late[MAX_WD];
    for (int i = 0; i < p->nwd; i++) {
        late[i] = chance(r, 0.3);
        acked[i] = !open || chance(r, 0.8);
        when[i] = late[i] ? too_late(r, ack) : on_time(r, ack);
    }
    /* Report for duty in order of time (both count from the whistle). */
    for (int i = 0; i < p->nwd; i++) {
        int first = -1;
        for (int j = 0; j < p->nwd; j++)
            if (acked[j] && (first < 0 || when[j] < when[first]))
                first = j;
        if (first < 0)
            break;
        push(p, OP_W_ACK, D_WORK, when[first], w, first, 0);
        acked[first] = false;
        when[first] = -1;
    }
    for (int i = 0; i < p->nwd; i++) {
        bool did = false;
        for (int j = w + 1; j < p->nsteps; j++)
            did |= p->steps[j].op == OP_W_ACK && p->steps[j].arg == i;
        if (did && (!open || chance(r, 0.6))) {
            push(p, OP_W_PART, D_WORK, rnd_range(r, 0.05, 0.2) * handle, -1, i, 0);
            if (open && chance(r, 0.4))
                push(p, OP_W_RATE, D_WALL, rnd_range(r, HOUR, 6 * HOUR), -1, i,
                     late[i] ? rnd_int(r, 1, 3) : rnd_int(r, 3, 5));
        }
    }
}

/* The steps of p, with their delays (times come from schedule()). */
static void plan_steps(const demo_ctx *c, plan *p, rng *r)
{
    const store_category *k = &c->cats[p->cat];
    double F = limit_secs(c, k, STEP_FILE, p->urgent),
           D = limit_secs(c, k, STEP_DISPATCH, p->urgent),
           A = limit_secs(c, k, STEP_ACKNOWLEDGE, p->urgent),
           V = limit_secs(c, k, STEP_VERIFY, p->urgent),
           H = limit_secs(c, k, STEP_HANDLE, p->urgent);
    int late = (p->mods & M_LATE) ? rnd_int(r, 0, 3) : -1;
    case_status kind = p->kind;
    switch (kind) {
    case CS_REPORTED:
        return;
    case CS_NOT_FILED:
        push(p, OP_REJECT, D_WORK, on_time(r, F), -1, 0, 0);
        return;
    case CS_MERGED:
        if (chance(r, 0.5))
            push(p, OP_FILE, D_WORK, on_time(r, F), -1, 0, 0);
        push(p, OP_MERGE, D_WORK, on_time(r, D), -1, 0, 0);
        return;
    case CS_FILED:
    case CS_DISPATCHED:
    case CS_ACKNOWLEDGED:
    case CS_HANDLING:
    case CS_FED_BACK:
    case CS_VERIFIED:
    case CS_CLOSED:
    case CS_DEFERRED:
    case CS_COUNT:
        break;
    }
    push(p, OP_FILE, D_WORK, late == 0 ? too_late(r, F) : on_time(r, F), -1, 0, 0);
    if (kind == CS_FILED)
        return;
    if (kind == CS_DEFERRED) {
        int depth = rnd_int(r, 0, 3);
        if (depth >= 1)
            push(p, OP_DISPATCH, D_WORK, on_time(r, D), -1, 0, 0);
        if (depth >= 2)
            push(p, OP_ACK, D_WORK, on_time(r, A), -1, 0, 0);
        if (depth >= 3)
            push(p, OP_START, D_WORK, start_delay(r, H), -1, 0, 0);
        if (depth >= 2)
            push(p, OP_DEFER, D_HANDLE, rnd_range(r, 0.2, 0.6), -1, 0, 0);
        else
            push(p, OP_DEFER, D_WORK, on_time(r, depth ? A : D), -1, 0, 0);
        return;
    }
    push(p, OP_DISPATCH, D_WORK, late == 1 ? too_late(r, D) : on_time(r, D), -1, 0, 0);
    if (p->mods & M_RETURN) {
        push(p, OP_RETURN, D_WORK, on_time(r, A), -1, 0, 0);
        push(p, OP_REDISPATCH, D_WORK, on_time(r, D), -1, 0, 0);
    }
    if (kind == CS_DISPATCHED)
        return;
    push(p, OP_ACK, D_WORK, late == 2 ? too_late(r, A) : on_time(r, A), -1, 0, 0);
    if (kind == CS_ACKNOWLEDGED) {
        if (p->mods & M_WHISTLE)
            plan_whistle(c, p, r, true);
        if (p->mods & M_EXT_PENDING)
            push(p, OP_REQ_EXT, D_WORK, rnd_range(r, 30 * MINUTE, 3 * HOUR), -1, 0, 0);
        return;
    }
    push(p, OP_START, D_WORK, start_delay(r, H), -1, 0, 0);
    if (p->mods & M_EXT) {
        push(p, OP_REQ_EXT, D_WORK, rnd_range(r, 30 * MINUTE, 3 * HOUR), -1, 0, 0);
        push(p, OP_APPROVE_EXT, D_WORK, rnd_range(r, 20 * MINUTE, 2 * HOUR), -1, rnd_int(r, 1, 3),
             0);
    }
    if (p->mods & M_WHISTLE)
        plan_whistle(c, p, r, kind == CS_HANDLING);
    if (kind == CS_HANDLING) {
        if (p->mods & M_REWORK) {
            push(p, OP_FEED_BACK, D_HANDLE, rnd_range(r, 0.3, 0.8), -1, 0, 0);
            push(p, OP_FAIL, D_WORK, on_time(r, V), -1, 0, 0);
        }
        if (p->mods & M_EXT_PENDING)
            push(p, OP_REQ_EXT, D_WORK, rnd_range(r, 30 * MINUTE, 3 * HOUR), -1, 0, 0);
        return;
    }
    push(p, OP_FEED_BACK, D_HANDLE, late == 3 ? rnd_range(r, 1.2, 2.0) : rnd_range(r, 0.25, 0.85),
         -1, 0, 0);
    for (int i = 0; i < ((p->mods & M_REWORK2) ? 2 : (p->mods & M_REWORK) ? 1 : 0); i++) {
        push(p, OP_FAIL, D_WORK, on_time(r, V), -1, 0, 0);
        push(p, OP_FEED_BACK, D_HANDLE, rnd_range(r, 0.2, 0.7), -1, 1, 0);
    }
    if (kind == CS_FED_BACK)
        return;
    push(p, OP_VERIFY, D_WORK, on_time(r, V), -1, 0, 0);
    if (kind == CS_VERIFIED)
        return;
    push(p, OP_CLOSE, D_WORK, rnd_range(r, 10 * MINUTE, 2 * HOUR), -1, 0, 0);
    for (int i = 0; (p->mods & M_WHISTLE) && i < p->nwd; i++)
        if (chance(r, 0.7))
            push(p, OP_W_RATE, D_WALL, rnd_range(r, HOUR, 20 * HOUR), -1, i, rnd_int(r, 2, 5));
    if (p->mods & M_RATE)
        push(p, OP_RATE, D_WALL, rnd_range(r, HOUR, 3.0 * DAY), -1, 0, satisfaction(r, p->mods));
}

static int64_t work_add(const calendar *cal, int64_t from, double secs)
{
    int64_t t = calendar_add_working(cal, from, (int64_t)secs);
    return t == CAL_ERROR ? from + (int64_t)secs : t;
}

/* When step st falls due counted from `from`, as cases.c computes it. */
static int64_t due_after(const demo_ctx *c, const plan *p, case_step st, int64_t from)
{
    const store_category *k = &c->cats[p->cat];
    cat_limit lim;
    if (!catalogue_limit_parse(k->limit[st], &lim))
        return 0;
    int64_t t;
    if (lim.unit == 'd' && !p->urgent)
        t = calendar_add_working_days(c->cal, from, lim.n);
    else
        t = calendar_add_working(c->cal, from, (int64_t)limit_secs(c, k, st, p->urgent));
    return t == CAL_ERROR ? 0 : t;
}

/* The time of every step from p->t0; returns the last one, and in *due
 * the deadline the case then waits on (0: none). */
static int64_t schedule(const demo_ctx *c, plan *p, int64_t *due)
{
    double H = limit_secs(c, &c->cats[p->cat], STEP_HANDLE, p->urgent), extra = 0;
    int64_t prev = p->t0, anchor = p->t0, handle_due = 0;
    int waits = STEP_FILE; /* the step *due belongs to; -1: none */
    *due = due_after(c, p, STEP_FILE, p->t0);
    for (int i = 0; i < p->nsteps; i++) {
        step *st = &p->steps[i];
        int64_t from = st->base >= 0 ? p->steps[st->base].at : prev, at = prev;
        switch ((delay_kind)st->dk) {
        case D_WORK:
            at = work_add(c->cal, from, st->amount);
            break;
        case D_WALL:
            at = from + (int64_t)st->amount;
            break;
        case D_HANDLE:
            at = work_add(c->cal, anchor, st->amount * (H + extra));
            if (at < prev + 10 * MINUTE)
                at = work_add(c->cal, prev, 10 * MINUTE);
            break;
        }
        if (at <= prev) /* strictly after: the history reads in order */
            at = prev + MINUTE;
        st->at = at;
        switch ((op_kind)st->op) {
        case OP_FILE:
        case OP_RETURN:
            waits = STEP_DISPATCH;
            *due = due_after(c, p, STEP_DISPATCH, at);
            break;
        case OP_DISPATCH:
        case OP_REDISPATCH:
        case OP_FAIL:
            anchor = at; /* the handle deadline starts again */
            extra = 0;
            handle_due = due_after(c, p, STEP_HANDLE, at);
            waits = st->op == OP_FAIL ? STEP_HANDLE : STEP_ACKNOWLEDGE;
            *due = st->op == OP_FAIL ? handle_due : due_after(c, p, STEP_ACKNOWLEDGE, at);
            break;
        case OP_ACK:
            waits = STEP_HANDLE;
            *due = handle_due;
            break;
        case OP_APPROVE_EXT: {
            extra += (double)st->arg * (double)c->W;
            int64_t t = calendar_add_working_days(c->cal, handle_due ? handle_due : at, st->arg);
            handle_due = t == CAL_ERROR ? handle_due : t;
            if (waits == STEP_HANDLE)
                *due = handle_due;
            break;
        }
        case OP_FEED_BACK:
            waits = STEP_VERIFY;
            *due = due_after(c, p, STEP_VERIFY, at);
            break;
        case OP_REJECT:
        case OP_MERGE:
        case OP_VERIFY:
        case OP_CLOSE:
        case OP_DEFER:
            waits = -1;
            *due = 0;
            break;
        case OP_START:
        case OP_REQ_EXT:
        case OP_WHISTLE:
        case OP_W_ACK:
        case OP_W_PART:
        case OP_W_RATE:
        case OP_RATE:
            break;
        }
        prev = at;
    }
    return prev;
}

/* Move the report earlier until the last step is no later than now. */
static void fit(const demo_ctx *c, plan *p)
{
    int64_t due;
    for (int i = 0; i < 16; i++) {
        int64_t last = schedule(c, p, &due);
        if (last <= c->now)
            return;
        p->t0 -= last - c->now + 30 * MINUTE;
        if (p->t0 < c->now - SPAN) {
            p->t0 = c->now - SPAN;
            break;
        }
    }
    /* Still too long (a calendar without working time ahead): squeeze. */
    schedule(c, p, &due);
    for (int i = 0; i < p->nsteps; i++)
        if (p->steps[i].at > c->now)
            p->steps[i].at = c->now;
}

/* An open case of the last week: half of them still within their
 * deadline at now (when that can be), the others past it. The last step and the deadline only move
 * forward with the report time, so two bisections find the window of
 * report times [lo, hi] that are done by now and not yet due. */
static void place_fresh(const demo_ctx *c, plan *p, rng *r)
{
    int64_t from = c->now - RECENT, lo = from, hi = c->now, due;
    while (lo < hi) { /* the latest report time whose last step is done by now */
        p->t0 = hi - (hi - lo) / 2;
        if (schedule(c, p, &due) <= c->now)
            lo = p->t0;
        else
            hi = p->t0 - 1;
    }
    int64_t latest = lo;
    p->t0 = latest;
    schedule(c, p, &due);
    if (due == 0 || due <= c->now || chance(r, 0.5)) {
        /* no deadline to keep, no way to keep it, or late */
        p->t0 = latest - (int64_t)(rnd_unit(r) * (double)(latest - from));
    } else {
        lo = from;
        hi = latest;
        while (lo < hi) { /* the earliest report time still within its deadline */
            p->t0 = lo + (hi - lo) / 2;
            schedule(c, p, &due);
            if (due > c->now)
                hi = p->t0;
            else
                lo = p->t0 + 1;
        }
        p->t0 = lo + (int64_t)(rnd_unit(r) * (double)(latest - lo));
    }
    fit(c, p);
}

/* A time on t's local day, mostly in office hours. */
static int64_t daytime(const demo_ctx *c, rng *r, int64_t t)
{
    int64_t off = (int64_t)calendar_utc_offset(c->cal) * 60, local = t + off;
    int64_t day = local / DAY - (local % DAY < 0);
    int sec = chance(r, 0.7) ? rnd_int(r, 8 * HOUR + 30 * MINUTE, 18 * HOUR)
                             : rnd_int(r, 7 * HOUR, 21 * HOUR + 30 * MINUTE);
    return day * DAY + sec - off;
}

static int pick_category(const demo_ctx *c, rng *r)
{
    int total = 0;
    for (int i = 0; i < c->ncats; i++)
        total += c->cat_text[i] >= 0 ? kinds[c->cat_text[i]].weight : 2;
    int x = rnd_int(r, 0, total - 1);
    for (int i = 0; i < c->ncats; i++) {
        x -= c->cat_text[i] >= 0 ? kinds[c->cat_text[i]].weight : 2;
        if (x < 0)
            return i;
    }
    return c->ncats - 1;
}

/* A micro-grid, leaning towards the demo accounts' own grids so that each
 * of them has cases to work on. */
static int pick_micro(const demo_ctx *c, rng *r)
{
    int x = rnd_int(r, 0, 99);
    const char *prefix = x < 8 ? MEMBER_SCOPE : x < 20 ? CHIEF_SCOPE : x < 35 ? STAFF_SCOPE : NULL;
    int m = 0;
    for (int i = 0; prefix && i < c->nmicro; i++)
        m += actor_grid_contains(prefix, locator_grid(c->l, c->micro[i])->code);
    if (m == 0)
        return rnd_int(r, 0, c->nmicro - 1);
    int k = rnd_int(r, 0, m - 1);
    for (int i = 0; i < c->nmicro; i++)
        if (actor_grid_contains(prefix, locator_grid(c->l, c->micro[i])->code) && k-- == 0)
            return i;
    return 0;
}

static void plan_all(demo_ctx *c, int n)
{
    rng r = {SEED};
    /* The deck of final states. */
    int k = 0;
    for (int st = 0; st < CS_COUNT && k < n; st++) {
        if (st == CS_CLOSED)
            continue;
        int q = (n * kind_permille[st] + 500) / 1000;
        for (int i = 0; i < (q < 1 ? 1 : q) && k < n; i++)
            c->plans[k++].kind = (case_status)st;
    }
    while (k < n)
        c->plans[k++].kind = CS_CLOSED;
    for (int i = n - 1; i > 0; i--) {
        int j = rnd_int(&r, 0, i);
        case_status t = c->plans[i].kind;
        c->plans[i].kind = c->plans[j].kind;
        c->plans[j].kind = t;
    }
    int first_open = -1, nstale = 0;
    for (int i = 0; i < n; i++) {
        plan *p = &c->plans[i];
        p->mods = pick_mods(&r, p->kind);
        p->stale = open_kind(p->kind) && chance(&r, 0.4);
        nstale += p->stale;
        if (first_open < 0 && open_kind(p->kind))
            first_open = i;
        p->cat = pick_category(c, &r);
        int t = c->cat_text[p->cat];
        p->urgent = chance(&r, (t >= 0 ? kinds[t].urgent_pct : 3) / 100.0);
        int x = rnd_int(&r, 0, 99);
        p->source = SRC_MEMBER;
        for (int s = 0, acc = 0; s < SRC_COUNT; s++)
            if (x < (acc += source_weight[s])) {
                p->source = s;
                break;
            }
        p->micro = pick_micro(c, &r);
        p->reason = p->urgent && chance(&r, 0.6) ? 2 : rnd_int(&r, 0, 1);
        p->nwd = c->ndepts > 2 && chance(&r, 0.3) ? 2 : 1;
        p->seed = rnd(&r);
    }
    if (nstale == 0 && first_open >= 0)
        c->plans[first_open].stale = true;
    /* Make sure each way through the loop shows up at least once. */
    static const unsigned must[] = {M_RATE, M_REWORK, M_WHISTLE, M_EXT, M_RETURN, M_LATE};
    int next = 0;
    for (size_t m = 0; m < WG_ARRAY_LEN(must); m++) {
        bool seen = false;
        for (int i = 0; i < n; i++)
            seen |= (c->plans[i].mods & must[m]) != 0;
        for (int i = 0, closed = 0; !seen && i < n; i++)
            if (c->plans[i].kind == CS_CLOSED && closed++ == next) {
                c->plans[i].mods |= must[m];
                seen = true;
                next++;
            }
    }
    /* Times. */
    for (int i = 0; i < n; i++) {
        plan *p = &c->plans[i];
        rng pr = {p->seed};
        plan_steps(c, p, &pr);
        int64_t t;
        if (p->stale)
            t = daytime(c, &pr,
                        c->now - SPAN + (int64_t)(rnd_unit(&pr) * (double)(SPAN - 6 * DAY)));
        else if (open_kind(p->kind)) {
            place_fresh(c, p, &pr);
            continue;
        } else {
            /* The open cases crowd the last week: fewer of the others there. */
            int64_t span = chance(&pr, 0.6) ? SPAN - RECENT : SPAN;
            t = daytime(c, &pr,
                        c->now - SPAN + HOUR +
                            (int64_t)(rnd_unit(&pr) * (double)(span - 2 * HOUR)));
        }
        if (t < c->now - SPAN)
            t = c->now - SPAN + (int64_t)rnd_int(&pr, 0, HOUR);
        p->t0 = t;
        fit(c, p);
    }
}

/* ---- actors ---- */

static void mk(actor *a, const char *login, role_id role, scope_kind kind, const char *scope)
{
    memset(a, 0, sizeof(*a));
    snprintf(a->login, sizeof(a->login), "%s", login);
    a->ngrants = 1;
    a->grants[0].role = role;
    a->grants[0].kind = kind;
    snprintf(a->grants[0].scope, sizeof(a->grants[0].scope), "%s", scope);
}

/* Who answers for a department: the demo's police and chengguan accounts,
 * else "<code>-duty". */
static void dept_actor(actor *a, const char *code)
{
    char login[ACTOR_LOGIN_MAX];
    if (strcmp(code, "gongan") == 0)
        snprintf(login, sizeof(login), "police");
    else if (strcmp(code, "chengguan") == 0)
        snprintf(login, sizeof(login), "chengguan");
    else
        snprintf(login, sizeof(login), "%.50s-duty", code);
    mk(a, login, ROLE_DEPARTMENT_STAFF, SCOPE_DEPARTMENT, code);
}

typedef struct {
    actor reporter, dispatcher, leader, verifier, whistler;
    bool own_citizen; /* reported by the demo's citizen account */
} cast;

/* The people around a case in grid `grid` under first-level grid l1.
 * Reports come from the demo accounts inside their grids; elsewhere from
 * the grid's member ("member-<grid>") or a resident ("resident-NNNN"),
 * logins that need no account. */
static void cast_for(const char *grid, const char *l1, int source, rng *r, cast *w)
{
    char login[ACTOR_LOGIN_MAX];
    bool staff = actor_grid_contains(STAFF_SCOPE, grid),
         chief = actor_grid_contains(CHIEF_SCOPE, grid),
         member = actor_grid_contains(MEMBER_SCOPE, grid);
    mk(&w->leader, "leader", ROLE_LEADER, SCOPE_GRID, l1);
    if (staff)
        mk(&w->dispatcher, "staff", ROLE_COMMUNITY_STAFF, SCOPE_GRID, STAFF_SCOPE);
    else
        w->dispatcher = w->leader;
    if (member)
        mk(&w->verifier, "member", ROLE_GRID_MEMBER, SCOPE_GRID, MEMBER_SCOPE);
    else if (chief)
        mk(&w->verifier, "chief", ROLE_GRID_CHIEF, SCOPE_GRID, CHIEF_SCOPE);
    else
        mk(&w->verifier, "staff", ROLE_COMMUNITY_STAFF, SCOPE_GRID, staff ? STAFF_SCOPE : l1);
    if (chief)
        mk(&w->whistler, "chief", ROLE_GRID_CHIEF, SCOPE_GRID, CHIEF_SCOPE);
    else
        w->whistler = w->dispatcher;
    w->own_citizen = false;
    switch (source) {
    case SRC_MEMBER:
        snprintf(login, sizeof(login), "member-%.40s", grid);
        if (member)
            mk(&w->reporter, "member", ROLE_GRID_MEMBER, SCOPE_GRID, MEMBER_SCOPE);
        else if (chief)
            mk(&w->reporter, "chief", ROLE_GRID_CHIEF, SCOPE_GRID, CHIEF_SCOPE);
        else
            mk(&w->reporter, login, ROLE_GRID_MEMBER, SCOPE_GRID, grid);
        w->verifier = w->reporter; /* who found it checks it is done */
        break;
    case SRC_CITIZEN:
        w->own_citizen = staff && chance(r, 0.5);
        snprintf(login, sizeof(login), "resident-%04d", rnd_int(r, 1, 9999));
        mk(&w->reporter, w->own_citizen ? "citizen" : login, ROLE_CITIZEN, SCOPE_ALL, "");
        break;
    case SRC_HOTLINE:
    case SRC_PLATFORM:
        mk(&w->reporter, "demo-admin", ROLE_ADMIN, SCOPE_ALL, "");
        break;
    default:
        w->reporter = w->dispatcher;
        break;
    }
}

/* ---- texts of one case ---- */

typedef struct {
    const char *street, *street2, *catname;
    char estate[STORE_NAME_MAX];
    int house, building, unit;
} place;

/* The estate a point is in: a dedicated estate grid, else the community
 * of its second-level grid ("汝河小区社区网格" -> "汝河小区"). */
static void estate_of(const demo_ctx *c, int32_t grid, const loc_hit *hit, char *out, size_t cap)
{
    for (int i = 0; hit && i < hit->ndedicated; i++) {
        const loc_grid *d = locator_grid(c->l, hit->dedicated[i]);
        if (strcmp(d->kind, "estate") == 0) {
            snprintf(out, cap, "%s", d->name);
            return;
        }
    }
    const loc_grid *g = locator_grid(c->l, grid);
    while (g && g->level != GRID_L2 && g->parent >= 0)
        g = locator_grid(c->l, g->parent);
    char name[STORE_NAME_MAX];
    snprintf(name, sizeof(name), "%s", g ? g->name : "");
    char *cut = strstr(name, "社区");
    if (!cut)
        cut = strstr(name, "网格");
    if (cut)
        *cut = '\0';
    static const char suffix[] = "小区";
    snprintf(out, cap, "%s", name);
    size_t n = strlen(out);
    bool estate = n >= strlen(suffix) && strcmp(out + n - strlen(suffix), suffix) == 0;
    if (!estate && n + sizeof(suffix) <= cap)
        memcpy(out + n, suffix, sizeof(suffix));
}

/* One of the templates of category code, or a generic one. */
static const char *template_for(const char *code, rng *r)
{
    int n = 0;
    for (size_t i = 0; i < WG_ARRAY_LEN(templates); i++)
        n += strcmp(templates[i].code, code) == 0;
    if (n == 0)
        return PICK(r, generic_text);
    int k = rnd_int(r, 0, n - 1);
    for (size_t i = 0; i < WG_ARRAY_LEN(templates); i++)
        if (strcmp(templates[i].code, code) == 0 && k-- == 0)
            return templates[i].text;
    return templates[0].text;
}

static void expand(rng *r, const char *tpl, const place *p, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *t = tpl; *t && n + 1 < cap; t++) {
        char num[16];
        const char *ins = NULL;
        if (*t == '#' && t[1]) {
            int v = -1;
            switch (t[1]) {
            case 'S':
                ins = p->street;
                break;
            case 'T':
                ins = p->street2;
                break;
            case 'C':
                ins = p->estate;
                break;
            case 'K':
                ins = p->catname;
                break;
            case 'H':
                v = p->house;
                break;
            case 'B':
                v = p->building;
                break;
            case 'U':
                v = p->unit;
                break;
            case 'F':
                v = rnd_int(r, 2, 18);
                break;
            case 'N':
                v = rnd_int(r, 2, 9);
                break;
            default:
                break;
            }
            if (v >= 0) {
                snprintf(num, sizeof(num), "%d", v);
                ins = num;
            }
        }
        if (ins) {
            int w = snprintf(out + n, cap - n, "%s", ins);
            n = w < 0 || (size_t)w >= cap - n ? cap - 1 : n + (size_t)w;
            t++;
        } else {
            out[n++] = *t;
            out[n] = '\0';
        }
    }
}

/* ---- playing a plan ---- */

typedef struct {
    demo_ctx *c;
    plan *p;
    int index;
    cast w;
    store_case cs;
    rng r;
    const char *wd[MAX_WD]; /* the departments whistled to */
    int nwd;
    int64_t into; /* merge: the case kept */
} play;

/* Another department for a case a department sent back: the category's
 * own when routing chose someone else, else any other. */
static const char *other_dept(play *g)
{
    const store_category *k = &g->c->cats[g->p->cat];
    if (strcmp(k->department, g->cs.department) != 0)
        return k->department;
    int m = 0;
    const char *pick = NULL;
    for (int i = 0; i < g->c->ndepts; i++)
        if (strcmp(g->c->depts[i], g->cs.department) != 0 && rnd_int(&g->r, 0, m++) == 0)
            pick = g->c->depts[i];
    return pick ? pick : g->cs.department;
}

static void pick_whistled(play *g)
{
    g->nwd = 0;
    for (int tries = 0; tries < 32 && g->nwd < g->p->nwd; tries++) {
        const char *d = g->c->depts[rnd_int(&g->r, 0, g->c->ndepts - 1)];
        bool dup = strcmp(d, g->cs.department) == 0;
        for (int i = 0; i < g->nwd; i++)
            dup |= strcmp(d, g->wd[i]) == 0;
        if (!dup)
            g->wd[g->nwd++] = d;
    }
}

/* Who takes a step. */
enum { BY_DISPATCHER, BY_DEPT, BY_VERIFIER, BY_LEADER, BY_WHISTLER, BY_WHISTLED, BY_REPORTER };

#define NOTES(a) (a), WG_ARRAY_LEN(a)

/* Each step: its action, who takes it, and the note (one of `notes` when
 * given). The notes of merge, feed_back and approve_extension are built. */
static const struct {
    case_action action;
    int by;
    const char *note;
    const char *const *notes;
    size_t nnotes;
} steps_table[] = {
    [OP_FILE] = {CA_FILE, BY_DISPATCHER, "信息属实，予以立案"},
    [OP_REJECT] = {CA_REJECT, BY_DISPATCHER, NULL, NOTES(reject_notes)},
    [OP_MERGE] = {CA_MERGE, BY_DISPATCHER},
    [OP_DISPATCH] = {CA_DISPATCH, BY_DISPATCHER, "请按时限处置"},
    [OP_RETURN] = {CA_RETURN, BY_DEPT, NULL, NOTES(return_notes)},
    [OP_REDISPATCH] = {CA_DISPATCH, BY_DISPATCHER, "已改派相关职能部门"},
    [OP_ACK] = {CA_ACKNOWLEDGE, BY_DEPT, "已签收"},
    [OP_START] = {CA_START, BY_DEPT, "已安排人员赶赴现场处置"},
    [OP_FEED_BACK] = {CA_FEED_BACK, BY_DEPT},
    [OP_FAIL] = {CA_FAIL_VERIFICATION, BY_VERIFIER, NULL, NOTES(fail_notes)},
    [OP_VERIFY] = {CA_VERIFY, BY_VERIFIER, "现场核查，已整改到位"},
    [OP_CLOSE] = {CA_CLOSE, BY_DISPATCHER, "处置完毕，予以结案"},
    [OP_REQ_EXT] = {CA_REQUEST_EXTENSION, BY_DEPT, NULL, NOTES(ext_notes)},
    [OP_APPROVE_EXT] = {CA_APPROVE_EXTENSION, BY_LEADER},
    [OP_DEFER] = {CA_DEFER, BY_DISPATCHER, NULL, NOTES(defer_notes)},
    [OP_WHISTLE] = {CA_WHISTLE, BY_WHISTLER},
    [OP_W_ACK] = {CA_ACKNOWLEDGE, BY_WHISTLED, "已到场报到"},
    [OP_W_PART] = {CA_FEED_BACK, BY_WHISTLED, "已配合完成现场处置"},
    [OP_W_RATE] = {CA_RATE, BY_WHISTLER},
    [OP_RATE] = {CA_RATE, BY_REPORTER},
};

/* Take step st on the case being played, as its proper actor. */
static wg_err act(play *g, const step *st)
{
    demo_ctx *c = g->c;
    case_env env = {
        .cal = c->cal, .now = st->at, .duplicate_radius_m = 50, .duplicate_window_s = 3 * DAY};
    const store_category *k = &c->cats[g->p->cat];
    int t = c->cat_text[g->p->cat];
    case_action a = steps_table[st->op].action;
    case_act_input in = {.note = steps_table[st->op].note, .rating = st->rating};
    if (steps_table[st->op].nnotes)
        in.note = steps_table[st->op].notes[rnd(&g->r) % steps_table[st->op].nnotes];
    char note[160];
    switch ((op_kind)st->op) {
    case OP_MERGE:
        in.into = g->into;
        snprintf(note, sizeof(note), "与案件%lld反映同一问题，合并办理", (long long)g->into);
        in.note = note;
        break;
    case OP_REDISPATCH:
        in.department = other_dept(g);
        break;
    case OP_FEED_BACK:
        snprintf(note, sizeof(note), "%s%s", st->arg ? "已重新处置，" : "",
                 t >= 0 ? kinds[t].fix : "已处置完毕");
        in.note = note;
        break;
    case OP_APPROVE_EXT:
        in.extend_days = st->arg;
        snprintf(note, sizeof(note), "同意延期%d个工作日", st->arg);
        in.note = note;
        break;
    case OP_WHISTLE:
        pick_whistled(g);
        if (g->nwd == 0)
            return WG_OK; /* nobody else to call */
        in.reason = reasons[g->p->reason];
        in.note = whistle_notes[g->p->reason];
        in.departments = g->wd;
        in.ndepartments = g->nwd;
        break;
    case OP_W_ACK:
    case OP_W_PART:
    case OP_W_RATE:
        if (st->arg >= g->nwd)
            return WG_OK; /* fewer departments called than planned */
        in.rate_department = st->op == OP_W_RATE ? g->wd[st->arg] : NULL;
        break;
    case OP_FILE:
    case OP_REJECT:
    case OP_DISPATCH:
    case OP_RETURN:
    case OP_ACK:
    case OP_START:
    case OP_FAIL:
    case OP_VERIFY:
    case OP_CLOSE:
    case OP_REQ_EXT:
    case OP_DEFER:
    case OP_RATE:
        break;
    }
    actor dept;
    const actor *by[] = {[BY_DISPATCHER] = &g->w.dispatcher, [BY_DEPT] = &dept,
                         [BY_VERIFIER] = &g->w.verifier,     [BY_LEADER] = &g->w.leader,
                         [BY_WHISTLER] = &g->w.whistler,     [BY_WHISTLED] = &dept,
                         [BY_REPORTER] = &g->w.reporter};
    dept_actor(&dept, steps_table[st->op].by == BY_WHISTLED ? g->wd[st->arg] : g->cs.department);
    const actor *who = by[steps_table[st->op].by];
    wg_why why = {0};
    wg_err e = cases_act(c->s, &env, who, &g->cs, a, &in, &why);
    if (e)
        return wg_fail(c->why, e, why.field, "demo case %d (%s, %s, %s): %s by %s: %s",
                       g->index + 1, k->code, cases_status_name(g->p->kind), g->cs.grid,
                       cases_action_name(a), who->login, why.msg[0] ? why.msg : wg_strerror(e));
    demo_cases_result *out = c->out;
    out->returns += st->op == OP_RETURN;
    out->reworks += st->op == OP_FAIL;
    out->extensions += st->op == OP_APPROVE_EXT;
    out->rated += st->op == OP_RATE;
    if (st->op == OP_WHISTLE) {
        out->whistles++;
        out->whistle_parts += g->nwd;
    }
    return WG_OK;
}

/* A point inside micro-grid i, or false after enough misses. */
static bool point_in(const demo_ctx *c, rng *r, int i, double *lon, double *lat, loc_hit *hit)
{
    const double *b = c->bbox[i];
    for (int t = 0; t < 64; t++) {
        *lon = rnd_range(r, b[0], b[2]);
        *lat = rnd_range(r, b[1], b[3]);
        if (locator_find(c->l, *lon, *lat, hit) && hit->nchain > 0 && hit->chain[0] == c->micro[i])
            return true;
    }
    return false;
}

/* A duplicate: an earlier case of the same category in the last two weeks,
 * else the latest case; -1 when there is none. */
static int merge_target(const demo_ctx *c, const plan *p)
{
    for (int j = c->nmade - 1; j >= 0 && c->made[j].t0 >= p->t0 - 14 * DAY; j--)
        if (c->made[j].cat == p->cat)
            return j;
    return c->nmade - 1;
}

static wg_err play_plan(demo_ctx *c, plan *p, int index)
{
    play g = {.c = c, .p = p, .index = index, .r = {p->seed ^ 0xD1B54A32D192ED03ULL}};
    made_case *m = &c->made[c->nmade];
    memset(m, 0, sizeof(*m));
    loc_hit hit = {0};
    int target = p->kind == CS_MERGED ? merge_target(c, p) : -1;
    if (p->kind == CS_MERGED && target < 0) {
        /* Nothing earlier to merge into: a rejected report instead. */
        p->kind = CS_NOT_FILED;
        p->steps[0].op = OP_REJECT;
        p->nsteps = 1;
    }
    if (target >= 0) {
        const made_case *t = &c->made[target];
        p->cat = t->cat;
        p->micro = t->micro;
        g.into = t->id;
        /* The steps again, with the limits of the category taken over. */
        int64_t due;
        p->nsteps = 0;
        plan_steps(c, p, &g.r);
        schedule(c, p, &due);
        for (int i = 0; i < p->nsteps; i++)
            if (p->steps[i].at > c->now)
                p->steps[i].at = c->now;
        m->has_point = t->has_point;
        m->lon = t->lon;
        m->lat = t->lat;
        if (m->has_point) {
            locator_find(c->l, m->lon, m->lat, &hit);
            /* A few metres off, when that stays in the same grid. */
            double lon = m->lon + rnd_range(&g.r, -1.5e-4, 1.5e-4),
                   lat = m->lat + rnd_range(&g.r, -1.2e-4, 1.2e-4);
            loc_hit h2;
            if (locator_find(c->l, lon, lat, &h2) && h2.nchain &&
                h2.chain[0] == c->micro[p->micro]) {
                m->lon = lon;
                m->lat = lat;
                hit = h2;
            }
        }
    } else {
        m->has_point = point_in(c, &g.r, p->micro, &m->lon, &m->lat, &hit);
    }
    m->cat = p->cat;
    m->micro = p->micro;
    m->t0 = p->t0;
    const loc_grid *grid = locator_grid(c->l, c->micro[p->micro]);
    const loc_grid *l1 = grid;
    while (l1->parent >= 0)
        l1 = locator_grid(c->l, l1->parent);

    /* What, where, by whom. */
    const store_category *k = &c->cats[p->cat];
    place pl = {.street = PICK(&g.r, streets),
                .catname = k->name_zh,
                .house = rnd_int(&g.r, 1, 268),
                .building = rnd_int(&g.r, 1, 28),
                .unit = rnd_int(&g.r, 1, 6)};
    do
        pl.street2 = PICK(&g.r, streets);
    while (pl.street2 == pl.street);
    estate_of(c, c->micro[p->micro], m->has_point ? &hit : NULL, pl.estate, sizeof(pl.estate));
    const char *tpl = template_for(k->code, &g.r);
    char desc[512], name[STORE_NAME_MAX], phone[16];
    if (target >= 0) { /* someone else reports the same thing */
        snprintf(m->text, sizeof(m->text), "%s", c->made[target].text);
        snprintf(m->address, sizeof(m->address), "%s", c->made[target].address);
    } else {
        expand(&g.r, tpl, &pl, m->text, sizeof(m->text));
        snprintf(m->address, sizeof(m->address), "郑州市中原区%s%d号%s", pl.street, pl.house,
                 pl.estate);
    }
    static const char *const prefix[SRC_COUNT] = {"", "", "12345热线来电反映：",
                                                  "市数字城管平台转办：", "街道巡查发现："};
    snprintf(desc, sizeof(desc), "%s%s", prefix[p->source], m->text);
    case_input in = {.category = k->code,
                     .urgency = p->urgent ? "urgent" : "normal",
                     .source = source_names[p->source],
                     .description = desc,
                     .address = m->address,
                     .has_point = m->has_point,
                     .lon = m->lon,
                     .lat = m->lat,
                     .grid = m->has_point ? NULL : grid->code};
    cast_for(grid->code, l1->code, p->source, &g.r, &g.w);
    if (g.w.own_citizen) {
        in.reporter_name = "孙丽"; /* the demo's citizen account */
        in.reporter_phone = "13803710007";
    } else if (p->source == SRC_CITIZEN || p->source == SRC_HOTLINE ||
               (p->source == SRC_PLATFORM && chance(&g.r, 0.5))) {
        static const char *const mobile[] = {"138", "139", "137", "136",
                                             "150", "151", "158", "186"};
        snprintf(name, sizeof(name), "%s%s", PICK(&g.r, surnames), PICK(&g.r, given));
        snprintf(phone, sizeof(phone), "%s%04d%04d", PICK(&g.r, mobile), rnd_int(&g.r, 0, 9999),
                 rnd_int(&g.r, 0, 9999));
        in.reporter_name = name;
        in.reporter_phone = phone;
    }

    case_env env = {
        .cal = c->cal, .now = p->t0, .duplicate_radius_m = 50, .duplicate_window_s = 3 * DAY};
    wg_why why = {0};
    wg_err e = cases_report(c->s, c->v, c->l, &env, &g.w.reporter, &in, &g.cs, &why);
    if (e)
        return wg_fail(c->why, e, why.field, "demo case %d (%s in %s): report: %s", index + 1,
                       k->code, grid->code, why.msg[0] ? why.msg : wg_strerror(e));
    m->id = g.cs.id;
    c->nmade++;
    for (int i = 0; !e && i < p->nsteps; i++)
        e = act(&g, &p->steps[i]);
    return e;
}

/* ---- setup and tally ---- */

static wg_err add_cat(void *ctx, const store_category *k)
{
    demo_ctx *c = ctx;
    if (c->ncats < MAX_CATS)
        c->cats[c->ncats++] = *k;
    return WG_OK;
}

static wg_err add_dept(void *ctx, const store_department *d)
{
    demo_ctx *c = ctx;
    if (c->ndepts < MAX_DEPTS)
        snprintf(c->depts[c->ndepts++], STORE_CODE_MAX, "%s", d->code);
    return WG_OK;
}

static wg_err any_case(void *ctx, const store_case *cs)
{
    (void)cs;
    *(bool *)ctx = true;
    return WG_OK;
}

/* The grids cases go into: the micro-grids, or the deepest ordinary level
 * the locator has; with their bounding boxes. */
static wg_err load_grids(demo_ctx *c)
{
    static const grid_level order[] = {GRID_MICRO, GRID_L3, GRID_L2, GRID_L1};
    uint32_t n = locator_count(c->l);
    c->micro = calloc(n ? n : 1, sizeof(*c->micro));
    c->bbox = calloc(n ? n : 1, sizeof(*c->bbox));
    if (!c->micro || !c->bbox)
        return WG_ERR_NOMEM;
    for (size_t k = 0; k < WG_ARRAY_LEN(order) && c->nmicro == 0; k++) {
        for (uint32_t i = 0; i < n; i++) {
            const loc_grid *g = locator_grid(c->l, (int32_t)i);
            if (g->level != order[k])
                continue;
            store_grid sg;
            wg_err e = store_grid_get(c->s, g->code, false, &sg);
            if (e)
                return e;
            c->micro[c->nmicro] = (int32_t)i;
            c->bbox[c->nmicro][0] = sg.min_lon;
            c->bbox[c->nmicro][1] = sg.min_lat;
            c->bbox[c->nmicro][2] = sg.max_lon;
            c->bbox[c->nmicro][3] = sg.max_lat;
            c->nmicro++;
        }
    }
    return WG_OK;
}

static wg_err tally(demo_ctx *c)
{
    demo_cases_result *out = c->out;
    for (int i = 0; i < c->nmade; i++) {
        store_case cs;
        wg_err e = store_case_get(c->s, c->made[i].id, &cs);
        if (e)
            return e;
        case_status st;
        if (cases_status_parse(cs.status, &st))
            out->count[st]++;
        out->overdue += cs.overdue;
        out->overdue_open += cs.due_at && cs.due_at < c->now;
        out->total++;
    }
    return WG_OK;
}

typedef struct {
    int64_t t0;
    int i;
} by_time;

static int cmp_time(const void *a, const void *b)
{
    const by_time *x = a, *y = b;
    if (x->t0 != y->t0)
        return x->t0 < y->t0 ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

wg_err demo_cases(store *s, const vault *v, const locator *l, const calendar *cal, int64_t now,
                  int n, demo_cases_result *out, wg_why *why)
{
    memset(out, 0, sizeof(*out));
    if (n < 1 || n > DEMO_CASES_MAX)
        return wg_fail(why, WG_ERR_INVALID, "n", "make 1 to %d demo cases", DEMO_CASES_MAX);
    bool exists = false;
    store_case_filter f = {.all = true, .overdue = -1, .limit = 1};
    wg_err e = store_case_list(s, &f, any_case, &exists);
    if (e || exists) {
        out->existed = exists;
        return e;
    }
    demo_ctx c = {.s = s, .v = v, .l = l, .cal = cal, .now = now, .out = out, .why = why};
    c.W = calendar_day_seconds(cal) > 0 ? calendar_day_seconds(cal) : 8 * HOUR;
    c.cats = calloc(MAX_CATS, sizeof(*c.cats));
    c.cat_text = calloc(MAX_CATS, sizeof(*c.cat_text));
    c.plans = calloc((size_t)n, sizeof(*c.plans));
    c.made = calloc((size_t)n, sizeof(*c.made));
    by_time *order = calloc((size_t)n, sizeof(*order));
    if (!c.cats || !c.cat_text || !c.plans || !c.made || !order) {
        e = WG_ERR_NOMEM;
        goto out;
    }
    if ((e = store_category_list(s, add_cat, &c)) || (e = store_department_list(s, add_dept, &c)) ||
        (e = load_grids(&c)))
        goto out;
    if (c.ncats == 0 || c.nmicro == 0) {
        e = wg_fail(why, WG_ERR_INVALID, NULL, "demo cases need %s first",
                    c.ncats ? "a grid tree" : "the catalogue of categories");
        goto out;
    }
    for (int i = 0; i < c.ncats; i++) {
        c.cat_text[i] = -1;
        for (size_t t = 0; t < WG_ARRAY_LEN(kinds); t++)
            if (strcmp(kinds[t].code, c.cats[i].code) == 0)
                c.cat_text[i] = (int)t;
    }
    plan_all(&c, n);
    /* Oldest first, so that ids follow report times. */
    for (int i = 0; i < n; i++)
        order[i] = (by_time){c.plans[i].t0, i};
    qsort(order, (size_t)n, sizeof(*order), cmp_time);
    for (int i = 0; !e && i < n; i++)
        e = play_plan(&c, &c.plans[order[i].i], i);
    /* What the server's escalation would find at now. */
    case_env env = {.cal = cal, .now = now};
    for (int k = 0, pass = 0; !e && pass < 64; pass++) {
        if ((e = cases_escalate_overdue(s, &env, &k)) || k == 0)
            break;
        out->escalated += k;
    }
    if (!e)
        e = tally(&c);
out:
    free(order);
    free(c.made);
    free(c.plans);
    free(c.micro);
    free(c.bbox);
    free(c.cat_text);
    free(c.cats);
    return e;
}
