"""Every word of the console, in one table: key -> (Simplified Chinese, English). Chinese is the default.

A missing key shows as itself (or the `default` given), so a page never fails over a word; a test checks that
every key the templates use is here.
"""

from __future__ import annotations

from typing import Any

from shared.errors import Code

LANGS = ("zh", "en")

TEXT: dict[str, tuple[str, str]] = {
    "app.name": ("排队返利 · 总部控制台", "Paidui · HQ console"),
    "app.title": ("控制台", "Console"),
    "lang.other": ("English", "中文"),
    "nav.liability": ("负债", "Liability"),
    "nav.settlement": ("门店结算", "Settlement"),
    "nav.rules": ("规则", "Rules"),
    "nav.history": ("变更记录", "History"),
    "nav.stores": ("门店与终端", "Stores"),
    "nav.members": ("会员", "Members"),
    "nav.simulate": ("模拟", "What-if"),
    "nav.logout": ("退出", "Sign out"),
    "role.hq_admin": ("总部管理员", "HQ admin"),
    "role.store_manager": ("店长", "Store manager"),
    "scope.own_store": ("仅本店 {store}", "own store {store} only"),
    "action.save": ("保存", "Save"),
    "action.show": ("查看", "Show"),
    "action.export": ("导出", "Export"),
    "action.add": ("添加", "Add"),
    "action.edit": ("编辑", "Edit"),
    "action.view": ("查看", "View"),
    "unit.fen": ("分", "fen"),
    "unit.yuan": ("元", "yuan"),
    "period.from": ("从", "From"),
    "period.to": ("到", "To"),
    # sign-in
    "login.title": ("登录", "Sign in"),
    "login.username": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.wrong": ("用户名或密码错误", "Wrong user name or password"),
    "login.stale": ("登录表单已过期，请重试", "The sign-in form expired; please try again"),
    "login.too_many": ("尝试次数太多，请稍后再试", "Too many attempts; please wait a moment"),
    "login.expired": ("会话已过期，请重新登录", "Your session expired; please sign in again"),
    # errors
    "error.back": ("返回首页", "Back to the console"),
    "error.not_found": ("没有这个页面或数据", "No such page or data"),
    "error.csrf": (
        "表单已失效（CSRF 校验失败），未做任何更改",
        "The form is stale (CSRF check failed); nothing was changed",
    ),
    "error.hq_only": ("仅总部管理员可以执行此操作", "Only headquarters may do this"),
    "error.role": ("此账号不能使用控制台", "This account cannot use the console"),
    "error.bad_date": ("日期无效（格式 YYYY-MM-DD）", "Invalid date (YYYY-MM-DD)"),
    "error.bad_period": ("时间段无效", "Invalid period"),
    # columns
    "col.queue": ("队列", "Queue"),
    "col.stores": ("门店", "Stores"),
    "col.store": ("门店", "Store"),
    "col.name": ("名称", "Name"),
    "col.timezone": ("时区", "Time zone"),
    "col.participating": ("参与", "Taking part"),
    "col.cashiers": ("收银台", "Cashiers"),
    "col.cashier": ("收银台", "Cashier"),
    "col.terminal": ("终端", "Terminal"),
    "col.waiting": ("待奖励条目", "Waiting entries"),
    "col.outstanding": ("未付权益 (元)", "Outstanding (yuan)"),
    "col.contributions_7d": ("近7日提取", "Contributions, 7 days"),
    "col.payouts_7d": ("近7日返还", "Payouts, 7 days"),
    "col.kept_7d": ("近7日留存", "Kept, 7 days"),
    "col.kept_total": ("累计留存", "Kept, total"),
    "col.completion_7d": ("近7日完成率", "Completion, 7 days"),
    "col.completion_total": ("累计完成率", "Completion, total"),
    "col.estimate": ("付清队尾所需订单（估算）", "Orders to pay the tail (estimate)"),
    "col.day": ("日期", "Day"),
    "col.orders": ("订单数", "Orders"),
    "col.sales": ("销售额", "Sales"),
    "col.contributions": ("提取", "Contributions"),
    "col.payouts": ("返还", "Payouts"),
    "col.kept": ("留存（未分配）", "Kept (unallocated)"),
    "col.entries_created": ("新增条目", "Entries created"),
    "col.entries_completed": ("完成条目", "Entries completed"),
    "col.paying_store": ("付款门店（销售）", "Paying store (sales)"),
    "col.paid_by": ("本店销售付出", "Paid by its sales"),
    "col.received_by": ("本店会员收到", "Received by its members"),
    "col.net": ("净额", "Net"),
    "col.other_store": ("对方门店", "Other store"),
    "col.we_paid": ("本店销售付给对方会员", "Our sales paid their members"),
    "col.they_paid": ("对方销售付给本店会员", "Their sales paid our members"),
    "col.amount": ("金额", "Amount"),
    "col.at": ("时间", "When"),
    "col.actor": ("操作人", "Who"),
    "col.scope": ("范围", "Scope"),
    "col.version": ("版本", "Version"),
    "col.key": ("设置项", "Setting"),
    "col.before": ("修改前", "Before"),
    "col.after": ("修改后", "After"),
    "col.member": ("会员号", "Member"),
    "col.phone": ("手机号", "Phone"),
    "col.level": ("会员等级", "Level"),
    "col.created": ("加入时间", "Joined"),
    "col.rebate_balance": ("返利余额", "Rebate balance"),
    "col.pending": ("待奖励金额", "Pending"),
    # liability
    "liability.title": ("队列负债", "Queue liability"),
    "liability.as_of": ("截至 {day}", "As of {day}"),
    "liability.waiting": ("待奖励条目", "Waiting entries"),
    "liability.outstanding": ("未付权益", "Outstanding entitlement"),
    "liability.paid_total": ("累计返还", "Paid out, total"),
    "liability.kept_total": ("累计留存（未分配）", "Kept (unallocated), total"),
    "liability.contributions_total": ("累计提取", "Contributions, total"),
    "liability.completion_total": ("累计完成率", "Completion rate, total"),
    "liability.completed_of": ("已完成 {done} / 新增 {made}", "{done} completed of {made} created"),
    "liability.estimate": ("付清全部排队所需订单（估算）", "Orders to pay everyone waiting (estimate)"),
    "liability.orders_n": ("{n} 单", "{n} orders"),
    "liability.days_n": ("约 {n} 天（估算）", "about {n} days (estimate)"),
    "liability.estimate_tag": ("估算", "estimate"),
    "liability.estimate_note": (
        "估算 = 所有待奖励条目的未付金额 ÷ 近7日平均每单提取，按近7日的订单节奏。这是估算，不是承诺：客流变化、"
        "退款、重置和暂停都会改变结果。",
        "Estimate = Σ remaining of every waiting entry ÷ average contribution per order over the last 7 days, at "
        "the last 7 days' pace. An estimate, not a promise: traffic, refunds, resets and pauses change it.",
    ),
    "liability.queues": ("各队列", "Queues"),
    "liability.your_share": ("本店部分", "your store's share"),
    "liability.shared_note": (
        "所有收银台共用一个队列：门店数字为该店收银台的部分；估算针对整个队列。",
        "One queue for all cashiers: a store's figures are its cashiers' share; the estimate is for the whole queue.",
    ),
    "liability.no_queues": ("没有队列", "No queues"),
    "liability.daily": ("每日", "Per day"),
    "liability.days": ("天数", "Days"),
    "liability.no_days": ("这段时间没有数据", "Nothing in this period"),
    "liability.chart_money": ("每日提取、返还和留存（元）", "Contributions, payouts and money kept per day (yuan)"),
    "liability.chart_entries": ("每日新增与完成条目", "Entries created and completed per day"),
    # settlement
    "settlement.title": ("门店间结算", "Inter-store settlement"),
    "settlement.explain": (
        "行：付款门店（它的销售提取的钱）；列：收款门店（拿到钱的会员所属门店）。金额为该时间段内的返还净额（含退款冲回）。",
        "Rows: the paying store (whose sales the money came from); columns: the receiving store (whose members got "
        "it). Net payouts in the period, reversals included.",
    ),
    "settlement.not_shared": (
        "当前未开启「所有收银台队列」：每家门店只返还自己的会员，矩阵只有对角线（以往开启期间的记录仍会显示）。",
        "One queue for all cashiers is off now: each store pays its own members, so only the diagonal fills (periods "
        "when it was on still show).",
    ),
    "settlement.corner": ("付款 ↓ / 收款 →", "paid by ↓ / to →"),
    "settlement.net_note": (
        "净额 = 其他门店销售付给本店会员 − 本店销售付给其他门店会员。正数表示应向其他门店收款。",
        "Net = what other stores' sales paid this store's members − what this store's sales paid theirs. Positive: "
        "the store is owed money.",
    ),
    "settlement.none": ("这段时间与其他门店没有往来", "No money crossed stores in this period"),
    # rules
    "rules.title": ("返利规则", "Rebate rules"),
    "rules.base": ("基础设置（总部）", "Base settings (headquarters)"),
    "rules.stores": ("门店收银台设置", "Store cashier settings"),
    "rules.store_title": ("门店 {store} 的收银台设置", "Cashier settings of store {store}"),
    "rules.saved": ("已保存，并记入变更记录", "Saved, and recorded in the history"),
    "rules.no_change": ("没有变化，未保存", "Nothing changed; nothing saved"),
    "rules.refused": (
        "设置无效，未保存任何内容。请修改标红的项目。",
        "Invalid settings: nothing was saved. Fix the fields marked in red.",
    ),
    "rules.read_only": ("只读：规则由总部设置", "Read only: headquarters sets the rules"),
    "rules.preview": ("比例链预览（7 级，第一个已设置的生效）", "Ratio chain preview (7 levels, the first set wins)"),
    "rules.preview_note": (
        "第1–3级（等级比例、累计消费阶梯）只要设置就生效，不论高低：低于默认值会让老会员拿得比新会员少。",
        "Levels 1–3 (level ratios, spend tiers) win whenever set, whatever their value: below the default, loyal "
        "members get less than new ones.",
    ),
    "preview.store": ("门店 {store} {name}", "Store {store} {name}"),
    "preview.level_no": ("级", "Level"),
    "preview.link": ("来源", "Source"),
    "preview.value": ("设置", "Setting"),
    "preview.unset": ("未设置", "not set"),
    "preview.member_level": ("会员等级", "Member level"),
    "preview.new_member": ("无累计消费", "No qualifying spend"),
    "preview.top_spender": ("满足所有阶梯", "Every tier met"),
    "preview.no_level": ("无等级", "no level"),
    "preview.lottery_provisional": ("抽奖，暂按默认", "lottery; provisional"),
    "link.cashier.level": ("门店·等级比例", "store · level ratio"),
    "link.base.level": ("基础·等级比例", "base · level ratio"),
    "link.cashier.tiers": ("门店·累计消费阶梯", "store · spend tiers"),
    "link.cashier.lottery": ("门店·抽奖", "store · lottery"),
    "link.base.lottery": ("基础·抽奖", "base · lottery"),
    "link.cashier.default": ("门店·默认比例", "store · default ratio"),
    "link.base.default": ("基础·默认比例", "base · default ratio"),
    "warn.level_below": (
        "{owner} 等级「{level}」的比例 {ratio} 低于默认 {standard}：该等级会员拿得比无等级会员少",
        "{owner} level '{level}' ratio {ratio} is below the default {standard}: members of that level get less "
        "than members without a level",
    ),
    "warn.level_zero": (
        "{owner} 等级「{level}」的比例设为 0：该等级在本店不产生排队条目，但其订单仍然提取",
        "{owner} level '{level}' is set to 0: that level gets no entries at this store, yet its orders still "
        "contribute",
    ),
    "warn.tier_below": (
        "累计消费阶梯（{days} 天 ≥ ¥{threshold}）比例 {ratio} 低于默认 {standard}：消费多的会员反而拿得少",
        "Spend tier ({days} days ≥ ¥{threshold}) ratio {ratio} is below the default {standard}: bigger spenders "
        "get less",
    ),
    "choice.on_complete": ("订单完成时", "on completion"),
    "choice.on_pay": ("付款时", "on payment"),
    "choice.queue_order": ("按排队顺序", "queue order"),
    "choice.completed_first": ("已完成订单优先", "completed orders first"),
    "choice.retain": ("商家留存", "merchant keeps it"),
    "choice.carry_forward": ("结转给下一位", "carry forward"),
    "choice.received": ("追回已收到的", "claw back what was received"),
    "choice.none": ("不追回", "none"),
    "choice.all": ("全部追回", "all"),
    # base settings (§3.1)
    "base.enabled": ("开启排队返利", "Queue rebate on"),
    "base.paused": ("队列奖励暂停", "Payouts paused"),
    "base.display_name": ("自定义名称", "Display name"),
    "base.exchange_button_name": ("兑换按钮名称", "Exchange button name"),
    "base.extraction_bp": ("提取比例", "Extraction"),
    "base.default_entitlement_bp": ("默认奖励权益", "Default entitlement"),
    "base.level_entitlement_bp": ("会员等级权益比例", "Entitlement by member level"),
    "base.lottery": ("抽奖", "Lottery"),
    "base.deduction_orders_join": ("抵扣订单参与队列", "Orders with deductions join"),
    "base.settlement_event": ("结算事件", "Settle on"),
    "base.cashier_auto_complete_hours": (
        "收银订单自动完成（小时，0=结账即完成）",
        "Auto-complete after (hours; 0 = at checkout)",
    ),
    "base.ordering_rule": ("排序规则", "Ordering rule"),
    "base.points_exchange_enabled": ("允许兑换积分", "Exchange for points"),
    "base.points_per_yuan_x100": ("每元积分 ×100", "Points per yuan ×100"),
    "base.voucher_exchange_enabled": ("允许兑换购物券", "Exchange for vouchers"),
    "base.voucher_ratio_bp": ("购物券比例", "Voucher ratio"),
    "base.all_cashiers_queue": ("所有收银台一个队列", "One queue for all cashiers"),
    "base.all_stores_queue": ("所有门店线上一个队列（不用于收银）", "One online queue for all stores (not POS)"),
    "base.random_return": ("随机返", "Random return"),
    "base.reset": ("定时清零", "Scheduled reset"),
    "base.leftover_policy": ("剩余金额", "Leftover money"),
    "base.refund_clawback": ("退款追回", "Refund clawback"),
    "base.anonymous_orders_contribute": ("非会员订单也提取", "Anonymous orders contribute"),
    "base.timezone": ("时区", "Time zone"),
    "base.display.queue_id": ("显示：排队号", "Show: queue number"),
    "base.display.progress": ("显示：进度与位置", "Show: progress and position"),
    "base.display.cumulative": ("显示：累计奖励", "Show: cumulative reward"),
    "base.display.pending": ("显示：待奖励", "Show: pending reward"),
    "base.display.pending_amount": ("显示：每条待奖励金额", "Show: per-entry pending amount"),
    "base.display.member_info": ("显示：他人头像昵称", "Show: others' avatar and nickname"),
    "base.display": ("会员页显示", "Member page display"),
    "help.base.extraction_bp": (
        "每笔订单实付金额提取的百分比，最多两位小数",
        "Percent of each order's paid amount, two decimals at most",
    ),
    "help.base.default_entitlement_bp": ("第7级：默认权益 = 实付 × 此比例", "Level 7: entitlement = paid × this ratio"),
    "help.base.level_entitlement_bp": (
        'JSON：等级 → 基点（100 = 1%），如 {"gold": 15000}；null 表示未设置',
        'JSON: level → basis points (100 = 1%), e.g. {"gold": 15000}; null means not set',
    ),
    "help.base.lottery": (
        'JSON 或留空（关闭）：{"mode": "fixed", "options": [{"ratio_bp": 1000}, {"ratio_bp": 5000}]} 或 '
        '{"mode": "interval", "min_bp": 2000, "max_bp": 8000, "step_bp": 100}',
        'JSON or empty (off): {"mode": "fixed", "options": [{"ratio_bp": 1000}, {"ratio_bp": 5000}]} or '
        '{"mode": "interval", "min_bp": 2000, "max_bp": 8000, "step_bp": 100}',
    ),
    "help.base.random_return": (
        'JSON 或留空（关闭）：{"group_size": 3, "cash_per_group": 1}',
        'JSON or empty (off): {"group_size": 3, "cash_per_group": 1}',
    ),
    "help.base.reset": (
        'JSON 或留空（关闭）：{"kind": "daily", "time": "00:00"}；weekly 加 weekday 1–7，monthly 加 '
        "day_of_month，once 加 at 时间列表",
        'JSON or empty (off): {"kind": "daily", "time": "00:00"}; weekly adds weekday 1–7, monthly '
        "day_of_month, once a list of instants in at",
    ),
    "help.base.points_per_yuan_x100": ("100 = 每元 1 积分", "100 = 1 point per yuan"),
    "help.base.refund_clawback": (
        "「全部追回」不能与「结转给下一位」同时使用",
        "'all' cannot be combined with 'carry forward'",
    ),
    "help.base.paused": ("暂停期间的提取由商家留存", "Contributions while paused are kept by the merchant"),
    # store settings (§3.2)
    "store.enabled": ("本店参与", "This store takes part"),
    "store.extraction_bp": ("提取比例（留空用基础设置）", "Extraction (empty: base setting)"),
    "store.default_entitlement_bp": ("默认比例（第6级，留空不设置）", "Default ratio (level 6; empty: not set)"),
    "store.level_entitlement_bp": ("等级比例（第1级）", "Level ratios (level 1)"),
    "store.cumulative_tiers": ("累计消费阶梯（第3级）", "Cumulative-spend tiers (level 3)"),
    "store.lottery": ("抽奖（第4级）", "Lottery (level 4)"),
    "store.time_windows": ("奖励时间段", "Reward time windows"),
    "store.daily_limit": ("每人每日条目上限（0=不限）", "Entries per member per day (0: no limit)"),
    "store.total_limit": ("每人条目总上限（0=不限）", "Entries per member in all (0: no limit)"),
    "store.random_return": ("随机返", "Random return"),
    "help.store.level_entitlement_bp": (
        'JSON：等级 → 基点（100 = 1%），如 {"gold": 15000}',
        'JSON: level → basis points (100 = 1%), e.g. {"gold": 15000}',
    ),
    "help.store.cumulative_tiers": (
        'JSON 列表：[{"days": 30, "threshold_fen": 200000, "ratio_bp": 15000}]（金额单位：分）',
        'JSON list: [{"days": 30, "threshold_fen": 200000, "ratio_bp": 15000}] (amounts in fen)',
    ),
    "help.store.lottery": ("JSON 或留空（不设置），格式同基础设置", "JSON or empty (not set), as in the base settings"),
    "help.store.time_windows": (
        'JSON 列表：[{"start": "10:00", "end": "14:00", "weekdays": [1,2,3,4,5]}]；空列表 = 不限',
        'JSON list: [{"start": "10:00", "end": "14:00", "weekdays": [1,2,3,4,5]}]; empty = any time',
    ),
    "help.store.random_return": (
        'inherit（沿用基础）、off（关闭）或 JSON {"group_size": 3, "cash_per_group": 1}',
        'inherit (base setting), off, or JSON {"group_size": 3, "cash_per_group": 1}',
    ),
    # form errors
    "form.required": ("必填", "Required"),
    "form.integer": ("必须是整数", "Must be a whole number"),
    "form.percent": (
        "必须是百分数，最多两位小数，如 10 或 12.5",
        "Must be a percentage with at most two decimals, e.g. 10 or 12.5",
    ),
    "form.choice": ("必须是 {choices} 之一", "Must be one of {choices}"),
    "form.json": ("JSON 无效：{detail}", "Invalid JSON: {detail}"),
    "form.ge": ("不能小于 {value}", "Must be at least {value}"),
    "form.le": ("不能大于 {value}", "Must be at most {value}"),
    "form.gt": ("必须大于 {value}", "Must be more than {value}"),
    "form.lt": ("必须小于 {value}", "Must be less than {value}"),
    "form.bool": ("必须是 true 或 false", "Must be true or false"),
    "form.too_short": ("至少 {value} 个字符", "At least {value} characters"),
    "form.too_long": ("最多 {value} 个字符", "At most {value} characters"),
    "form.missing": ("缺少必填项", "A required key is missing"),
    "form.extra": ("不认识的键", "Unknown key"),
    "form.literal": ("必须是 {value}", "Must be {value}"),
    "form.object": ("必须是 JSON 对象", "Must be a JSON object"),
    "form.list": ("必须是 JSON 列表", "Must be a JSON list"),
    "form.time": ("时间格式 HH:MM", "A time, HH:MM"),
    "form.date": ("日期格式 YYYY-MM-DD", "A date, YYYY-MM-DD"),
    "form.datetime": (
        "带时区的时间，如 2026-01-01T00:00:00+08:00",
        "An instant with offset, e.g. 2026-01-01T00:00:00+08:00",
    ),
    # history
    "history.title": ("设置变更记录", "Settings history"),
    "history.initial": ("（初始）", "(initial)"),
    "history.empty": ("还没有变更", "No changes yet"),
    "history.older": ("更早的记录", "Older changes"),
    # stores, terminals, members
    "stores.title": ("门店、收银台与终端", "Stores, cashiers and terminals"),
    "stores.none": ("还没有门店", "No stores yet"),
    "stores.add": ("添加门店", "Add a store"),
    "stores.first_cashier": ("收银台编号（可选）", "Cashier id (optional)"),
    "stores.no_cashiers": ("还没有收银台", "No cashier yet"),
    "terminals.title": ("终端", "Terminals"),
    "terminals.enrolled": ("登记时间", "Enrolled"),
    "terminals.last_seen": ("最后同步", "Last seen"),
    "terminals.backlog": ("待上传事件", "Backlog reported"),
    "terminals.applied": ("已应用到", "Applied through"),
    "terminals.state": ("状态", "State"),
    "terminals.active": ("正常", "active"),
    "terminals.revoked": ("已吊销", "revoked"),
    "terminals.revoke": ("吊销", "Revoke"),
    "terminals.confirm_revoke": ("吊销后该终端立即无法同步，确定？", "The terminal stops syncing at once. Revoke it?"),
    "terminals.enrol": ("生成终端登记码", "Make an enrolment code"),
    "terminals.code_once": (
        "一次性登记码（只显示这一次，{minutes} 分钟内有效）：在新终端上输入",
        "One-time enrolment code (shown this once, valid {minutes} minutes): type it on the new terminal",
    ),
    "terminals.none": ("还没有终端", "No terminals yet"),
    "members.title": ("会员与等级", "Members and levels"),
    "members.own_store": ("在本店注册或消费过的会员", "Members who registered or bought at this store"),
    "members.search": ("会员号或手机号", "Member id or phone"),
    "members.none": ("没有会员", "No members"),
    "members.more": ("下一页", "Next page"),
    "members.add": ("添加会员", "Add a member"),
    "admin.bad_id": ("编号只能用 1–64 个字母、数字或 _.:-", "An id is 1–64 letters, digits or _.:-"),
    "admin.bad_name": ("名称 1–100 个字符", "A name has 1–100 characters"),
    "admin.bad_zone": ("未知的时区", "Unknown time zone"),
    "admin.bad_level": ("等级名 1–40 个字母、数字或 _.-", "A level is 1–40 letters, digits or _.-"),
    # what-if
    "simulate.title": ("规则模拟（假如）", "What-if simulation"),
    "simulate.explain": (
        "取一段时间内的真实订单（付款、完成、退款，按接收顺序），分别用当前规则和拟修改的规则从空队列重放，对比结果。",
        "Takes the real orders of a period (payments, completions, refunds, in the order received) and replays them "
        "from an empty queue under today's rules and under the proposed ones.",
    ),
    "simulate.base_patch": (
        "拟修改的基础设置（JSON，只写要改的项）",
        "Proposed base settings (JSON, only what changes)",
    ),
    "simulate.store_patches": (
        "拟修改的门店设置（JSON：门店 → 设置）",
        "Proposed store settings (JSON: store → settings)",
    ),
    "simulate.run": ("运行模拟", "Run"),
    "simulate.result": ("结果", "Result"),
    "simulate.changes": ("修改", "Changes"),
    "simulate.same": ("没有修改：两列相同", "No change: both columns are the same"),
    "simulate.current": ("当前规则", "Today's rules"),
    "simulate.proposed": ("拟修改规则", "Proposed rules"),
    "simulate.difference": ("差额", "Difference"),
    "simulate.orders": ("订单", "Orders"),
    "simulate.entries": ("排队条目", "Entries"),
    "simulate.payouts": ("返还给会员", "Paid to members"),
    "simulate.kept": ("商家留存", "Kept by the merchant"),
    "simulate.carried": ("结转中", "Carried forward"),
    "simulate.completion": ("完成率", "Completion rate"),
    "simulate.completed": ("完成条目", "Entries completed"),
    "simulate.waiting": ("期末仍在排队", "Still waiting at the end"),
    "simulate.outstanding": ("期末未付权益", "Outstanding at the end"),
    "simulate.rejected": ("被拒绝的事件", "Events refused"),
    "simulate.bad_period": ("时间段无效（最长 366 天）", "Invalid period (366 days at most)"),
    "simulate.caveats": (
        "说明：两次重放都从空队列开始（期初已在排队的条目不计入）；抽奖条目保持暂定比例；期末之后的完成不计入；"
        "定时清零按各自的设置发生。这是模拟，不是预测。",
        "Notes: both replays start from an empty queue (entries waiting before the period are left out); lottery "
        "entries keep their provisional ratio; completions after the period are left out; scheduled resets follow "
        "each set of settings. A simulation, not a forecast.",
    ),
}


# Every stable code (shared/errors.py) in words: a refusal shown on a page reads as words, never as a code.
CODES: dict[Code, tuple[str, str]] = {
    Code.UNKNOWN_ORDER: ("没有这个订单", "Unknown order"),
    Code.UNKNOWN_STORE: ("没有这个门店", "Unknown store"),
    Code.UNKNOWN_CASHIER: ("没有这个收银台，或收银台编号已存在", "Unknown cashier, or the cashier id exists already"),
    Code.INVALID_AMOUNT: ("金额无效", "Invalid amount"),
    Code.REFUND_EXCEEDS_PAID: ("退款金额超过实付金额", "The refund exceeds what was paid"),
    Code.NO_ENTRY: ("该订单没有排队条目", "The order has no queue entry"),
    Code.ENTRY_NOT_WAITING: ("该条目已不在排队中", "The entry is no longer waiting"),
    Code.LOTTERY_NOT_AVAILABLE: ("该条目没有可用的抽奖", "No draw is available for this entry"),
    Code.INVALID_LOTTERY_RESULT: ("抽奖结果无效", "Invalid draw result"),
    Code.INVALID_TARGET: ("兑换目标无效", "Invalid exchange target"),
    Code.EXCHANGE_DISABLED: ("兑换未开启", "Exchange is switched off"),
    Code.EXCHANGE_AMOUNT_ZERO: ("剩余金额太少，无法兑换", "Too little is left to exchange"),
    Code.INVALID_SETTINGS: ("设置无效", "Invalid settings"),
    Code.ORDER_REFUNDED: ("订单已退款", "The order was refunded"),
    Code.INVALID_EVENT: ("数据无效", "Invalid data"),
    Code.CONFLICTING_DUPLICATE: ("与已提交的内容冲突", "Conflicts with what was sent before"),
    Code.NOT_YOUR_ENTRY: ("这不是该会员的条目", "Not this member's entry"),
    Code.UNKNOWN_MEMBER: ("没有这个会员", "Unknown member"),
    Code.CONFLICT: ("与已有数据冲突（已存在）", "Conflicts with existing data (exists already)"),
    Code.ENROLMENT_CODE_EXPIRED: ("登记码已过期", "The enrolment code has expired"),
    Code.ENROLMENT_CODE_INVALID: ("登记码无效或已使用", "Unknown or already used enrolment code"),
    Code.FORBIDDEN: ("无权执行此操作", "Not allowed"),
    Code.HTTP_ERROR: ("请求未能完成", "The request could not be completed"),
    Code.INTERNAL_ERROR: ("服务器出错，请重试", "The server failed; please try again"),
    Code.INVALID_REQUEST: ("请求内容无效", "Invalid request"),
    Code.METHOD_NOT_ALLOWED: ("不支持此操作", "Not supported here"),
    Code.NOT_ACCEPTABLE: ("无法提供所需的格式", "Not available in the format asked for"),
    Code.NOT_FOUND: ("没有这个页面或数据", "No such page or data"),
    Code.RATE_LIMITED: ("尝试次数太多，请稍后再试", "Too many attempts; please wait a moment"),
    Code.TERMINAL_REVOKED: ("此终端已停用，请重新登记", "This terminal was withdrawn; enrol it again"),
    Code.TOO_LARGE: ("请求内容太大", "The request is too large"),
    Code.UNAUTHORIZED: ("需要登录", "Please sign in"),
    Code.UNAVAILABLE: ("数据库暂时无法访问", "The database does not answer for now"),
    Code.UNSUPPORTED_MEDIA_TYPE: ("不支持的内容格式", "Unsupported content type"),
    Code.UNSUPPORTED_PROTOCOL: ("收银端版本过旧，请升级", "The till's version is too old; update it"),
    Code.LINK_EXPIRED: ("链接已过期", "The link has expired"),
    Code.LINK_INVALID: ("链接无效", "The link is not valid"),
    Code.LINK_REVOKED: ("链接已失效（签发终端已停用）", "The link no longer works (its terminal was withdrawn)"),
}
# The error page shows `error.<reason>`: a code is a reason too.
TEXT.update({f"error.{code.value}": words for code, words in CODES.items()})


def translate(lang: str, key: str, default: str | None = None, **params: Any) -> str:
    pair = TEXT.get(key)
    if pair is None:
        return key if default is None else default
    text = pair[0] if lang == "zh" else pair[1]
    return text.format(**params) if params else text


def refusal(lang: str, code: Code, detail: str = "") -> str:
    """A refusal in words, with its detail (names and numbers) after them."""
    words = translate(lang, f"error.{code.value}")
    return f"{words}{'：' if lang == 'zh' else ': '}{detail}" if detail else words
