<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>AttentionDialog</name>
    <message>
        <source>Needs attention (F7)</source>
        <translation>需处理 (F7)</translation>
    </message>
    <message>
        <source>No.</source>
        <translation>序号</translation>
    </message>
    <message>
        <source>Event</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Refused: the server refused these events; they will never apply. Tell your manager. To be confirmed: refunds of another till&apos;s sale the server has not confirmed yet.</source>
        <translation>已拒绝：总部拒绝了这些记录，它们永远不会生效，请告诉店长。待确认：其他收银台订单的退款，总部尚未确认。</translation>
    </message>
    <message>
        <source>To be confirmed: the server does not know this order (yet). Check the order id.</source>
        <translation>待确认：总部（暂时）没有这笔订单，请核对订单号。</translation>
    </message>
    <message>
        <source>To be confirmed: not checked with the server yet (offline).</source>
        <translation>待确认：尚未与总部核对（离线）。</translation>
    </message>
    <message>
        <source>Sale</source>
        <translation>销售</translation>
    </message>
    <message>
        <source>Refund</source>
        <translation>退款</translation>
    </message>
    <message>
        <source>Member registration</source>
        <translation>会员注册</translation>
    </message>
    <message>
        <source>Completion</source>
        <translation>订单完成</translation>
    </message>
</context>
<context>
    <name>CheckoutPanel</name>
    <message>
        <source>Scan member code / phone number</source>
        <translation>扫描会员码 / 输入手机号</translation>
    </message>
    <message>
        <source>Confirm sale (Enter)</source>
        <translation>确认收款 (Enter)</translation>
    </message>
    <message>
        <source>Member</source>
        <translation>会员</translation>
    </message>
    <message>
        <source>Amount (yuan)</source>
        <translation>金额（元）</translation>
    </message>
    <message>
        <source>Points deduction (yuan)</source>
        <translation>积分抵扣（元）</translation>
    </message>
    <message>
        <source>Tender (Ctrl+1…4)</source>
        <translation>支付方式 (Ctrl+1…4)</translation>
    </message>
    <message>
        <source>To pay</source>
        <translation>应付</translation>
    </message>
    <message>
        <source>Member recognised: %1</source>
        <translation>已识别会员：%1</translation>
    </message>
    <message>
        <source>Asking the server for the wallet tender…</source>
        <translation>正在向服务器申请钱包支付…</translation>
    </message>
    <message>
        <source>Wallet tender held: %1 %2</source>
        <translation>钱包支付已冻结：%1 %2</translation>
    </message>
    <message>
        <source>The wallet tender could not be given back now: it expires.</source>
        <translation>钱包支付暂时无法退回：到期后自动释放。</translation>
    </message>
    <message>
        <source>With a wallet tender, points are paid from the wallet: clear the deduction.</source>
        <translation>使用钱包支付时，积分从钱包扣：请清空积分抵扣。</translation>
    </message>
    <message>
        <source>Starting up: this sale is recorded as soon as the till&apos;s key is loaded (Esc cancels).</source>
        <translation>正在启动：收银台密钥一载入即记录这笔销售（按 Esc 取消）。</translation>
    </message>
    <message>
        <source>Sale %1 done: %2 by %3</source>
        <translation>第 %1 单收款完成：%2（%3）</translation>
    </message>
    <message>
        <source>Not recorded: the manager&apos;s PIN was not given.</source>
        <translation>未记录：没有输入店长密码。</translation>
    </message>
    <message>
        <source>Sale cleared. The wallet tender was given back.</source>
        <translation>已清除本单，钱包支付已退回。</translation>
    </message>
    <message>
        <source>Sale cleared.</source>
        <translation>已清除本单。</translation>
    </message>
    <message>
        <source>%1  %2</source>
        <translation>%1  %2</translation>
    </message>
    <message>
        <source>Sale parked (no. %1). F12 recalls it.</source>
        <translation>订单已挂起（%1 号），按 F12 取回。</translation>
    </message>
    <message>
        <source>Park (F10) or clear (Esc) this sale first.</source>
        <translation>请先挂起（F10）或清除（Esc）当前订单。</translation>
    </message>
    <message>
        <source>Parked sale no. %1 recalled: %2</source>
        <translation>已取回挂起的 %1 号订单：%2</translation>
    </message>
</context>
<context>
    <name>CustomerWindow</name>
    <message>
        <source>Paidui — customer display</source>
        <translation>排队 — 顾客屏</translation>
    </message>
    <message>
        <source>Welcome to %1</source>
        <translation>欢迎光临 %1</translation>
    </message>
    <message>
        <source>Welcome</source>
        <translation>欢迎光临</translation>
    </message>
    <message>
        <source>Paid %1</source>
        <translation>实付 %1</translation>
    </message>
    <message>
        <source>Received %1 · Change %2</source>
        <translation>实收 %1 · 找零 %2</translation>
    </message>
    <message>
        <source>Scan to follow this sale&apos;s queue entry and rebate.</source>
        <translation>扫码查看这笔消费的排队权益和返利进度。</translation>
    </message>
    <message>
        <source>Queue position pending sync</source>
        <translation>排队位置待同步</translation>
    </message>
    <message>
        <source>Scan to see your order. Become a member to join the queue rebate.</source>
        <translation>扫码查看订单。成为会员即可参加排队返利。</translation>
    </message>
    <message>
        <source>Your queue position: No. %1</source>
        <translation>您的排队位置：第 %1 位</translation>
    </message>
    <message>
        <source>Queue entry: %1</source>
        <translation>排队权益：%1</translation>
    </message>
    <message>
        <source>A lottery is waiting for you: scan the code to draw.</source>
        <translation>您有一次抽奖机会：扫码即可抽奖。</translation>
    </message>
</context>
<context>
    <name>DrawerDialog</name>
    <message>
        <source>Open the cash drawer (F9)</source>
        <translation>打开钱箱（F9）</translation>
    </message>
    <message>
        <source>e.g. change for the float</source>
        <translation>例如：补充备用零钱</translation>
    </message>
    <message>
        <source>Opening the drawer without a sale needs a manager. It is recorded and reported.</source>
        <translation>无销售打开钱箱需要店长授权，并会被记录和上报。</translation>
    </message>
    <message>
        <source>Manager PIN</source>
        <translation>店长密码</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
</context>
<context>
    <name>EnrollDialog</name>
    <message>
        <source>Set up this till</source>
        <translation>设置本收银台</translation>
    </message>
    <message>
        <source>Till 1</source>
        <translation>收银台 1</translation>
    </message>
    <message>
        <source>Server address</source>
        <translation>服务器地址</translation>
    </message>
    <message>
        <source>Enrolment code</source>
        <translation>注册码</translation>
    </message>
    <message>
        <source>Till name</source>
        <translation>收银台名称</translation>
    </message>
    <message>
        <source>Manager PIN (4–12 digits)</source>
        <translation>店长密码（4–12 位数字）</translation>
    </message>
    <message>
        <source>Headquarters gives you a one-time enrolment code for this till.</source>
        <translation>总部会为本收银台提供一次性注册码。</translation>
    </message>
    <message>
        <source>Enrolling…</source>
        <translation>正在注册…</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <source>Paidui cashier</source>
        <translation>排队收银</translation>
    </message>
    <message>
        <source>The database needs an upgrade but %1 sales are not synced yet. Sync first, or start with --force-migrate (a backup is made).</source>
        <translation>数据库需要升级，但还有 %1 笔记录未同步。请先同步，或使用 --force-migrate 启动（会先备份）。</translation>
    </message>
    <message>
        <source>This database was written by a newer version of the cashier app (revision %1). Install that version again; nothing was changed.</source>
        <translation>此数据库由更新版本的收银程序写入（版本 %1）。请重新安装该版本；数据未做任何改动。</translation>
    </message>
    <message>
        <source>This computer has no secure credential store (OS keyring), so the till&apos;s credential cannot be kept safely. Install or unlock a keyring (e.g. GNOME Keyring / KWallet) and start again. Details: %1</source>
        <translation>本机没有安全的凭据存储（系统密钥环），无法安全保存收银台凭据。请安装或解锁密钥环（如 GNOME Keyring / KWallet）后重新启动。详情：%1</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Paidui cashier — %1 · %2</source>
        <translation>排队收银 — %1 · %2</translation>
    </message>
    <message>
        <source>Enter confirm · Esc clear · F2 refund · F3 register member · F4 shift report · F5 price lookup · F6 store queue · F7 needs attention · F8 print receipt · Shift+F8 receipt printer · F9 open drawer · F10 park · F11 sign in · F12 recall</source>
        <translation>Enter 确认 · Esc 清除 · F2 退款 · F3 注册会员 · F4 班次报表 · F5 查价 · F6 门店队列 · F7 需处理 · F8 打印小票 · Shift+F8 小票打印机 · F9 开钱箱 · F10 挂单 · F11 登录 · F12 取单</translation>
    </message>
    <message>
        <source>Receipt %1 NOT saved as PDF: %2</source>
        <translation>小票 %1 未能保存为 PDF：%2</translation>
    </message>
    <message>
        <source>Refund of %1 recorded, TO BE CONFIRMED by the server: see F7.</source>
        <translation>已记录退款 %1，待总部确认：见 F7。</translation>
    </message>
    <message>
        <source>This store has no employees: the till sells without signing in.</source>
        <translation>本店没有设置员工：收银无需登录。</translation>
    </message>
    <message>
        <source>Signed in: %1</source>
        <translation>已登录：%1</translation>
    </message>
    <message>
        <source>Cashier: %1 (F11 changes)</source>
        <translation>收银员：%1（F11 切换）</translation>
    </message>
    <message>
        <source>Nobody signed in (F11)</source>
        <translation>未登录（F11）</translation>
    </message>
    <message>
        <source>Refund recorded: %1</source>
        <translation>已退款：%1</translation>
    </message>
    <message>
        <source>Member registered: %1</source>
        <translation>会员已注册：%1</translation>
    </message>
    <message>
        <source>Drawer opening recorded; no receipt printer is set up to open the drawer.</source>
        <translation>已记录开钱箱；未设置小票打印机，无法驱动钱箱。</translation>
    </message>
    <message>
        <source>Cash drawer opened (recorded).</source>
        <translation>钱箱已打开（已记录）。</translation>
    </message>
    <message>
        <source>No sale to print yet.</source>
        <translation>还没有可打印的销售。</translation>
    </message>
    <message>
        <source>Receipt printer: %1</source>
        <translation>小票打印机：%1</translation>
    </message>
    <message>
        <source>No receipt printer is set up (--escpos or escpos/printer in the settings).</source>
        <translation>未设置小票打印机（启动参数 --escpos 或设置项 escpos/printer）。</translation>
    </message>
    <message>
        <source>Receipt %1 sent to the printer…</source>
        <translation>小票 %1 已发送到打印机…</translation>
    </message>
    <message>
        <source>Receipt %1 printed.</source>
        <translation>小票 %1 已打印。</translation>
    </message>
    <message>
        <source>The cash drawer did NOT open: %1</source>
        <translation>钱箱未能打开：%1</translation>
    </message>
    <message>
        <source>The shift report was NOT printed: %1</source>
        <translation>班次报表未能打印：%1</translation>
    </message>
    <message>
        <source>Receipt %1 NOT printed: %2 Shift+F8 prints it again.</source>
        <translation>小票 %1 未打印：%2按 Shift+F8 重新打印。</translation>
    </message>
</context>
<context>
    <name>MemberCard</name>
    <message>
        <source>Wallet: balance — · points — · vouchers —</source>
        <translation>钱包：余额 — · 积分 — · 券 —</translation>
    </message>
    <message>
        <source>Wallet: balance %1 · points %2 · vouchers %3 (%4)</source>
        <translation>钱包：余额 %1 · 积分 %2 · 券 %3 张（%4）</translation>
    </message>
    <message>
        <source>Walk-in customer (no member)</source>
        <translation>散客（非会员）</translation>
    </message>
    <message>
        <source>Scan the member code or type the phone number, then Enter.</source>
        <translation>请扫描会员码或输入手机号，然后按 Enter。</translation>
    </message>
    <message>
        <source>no level</source>
        <translation>无等级</translation>
    </message>
    <message>
        <source>Member: %1  ·  %2</source>
        <translation>会员：%1  ·  %2</translation>
    </message>
    <message>
        <source>Registered at this till, pending sync</source>
        <translation>本收银台新注册，待同步</translation>
    </message>
    <message>
        <source>Points deduction: up to %1 (last sync)</source>
        <translation>积分最多可抵 %1（以上次同步为准）</translation>
    </message>
    <message>
        <source>Waiting in the queue (last snapshot):</source>
        <translation>排队中的权益（最近快照）：</translation>
    </message>
    <message>
        <source>position %1</source>
        <translation>第 %1 位</translation>
    </message>
    <message>
        <source>No waiting entries in the last snapshot.</source>
        <translation>最近快照中没有排队中的权益。</translation>
    </message>
</context>
<context>
    <name>PriceLookup</name>
    <message>
        <source>Price lookup</source>
        <translation>查价</translation>
    </message>
    <message>
        <source>Name, SKU or barcode</source>
        <translation>名称、编码或条码</translation>
    </message>
    <message>
        <source>Add to sale</source>
        <translation>加入订单</translation>
    </message>
    <message>
        <source> (no rebate)</source>
        <translation>（不参与返利）</translation>
    </message>
</context>
<context>
    <name>QueueReportDialog</name>
    <message>
        <source>Store queue report (F6)</source>
        <translation>门店排队报表 (F6)</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Member</source>
        <translation>会员</translation>
    </message>
    <message>
        <source>Entitlement</source>
        <translation>权益</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>已返</translation>
    </message>
    <message>
        <source>Remaining</source>
        <translation>待返</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Waiting since</source>
        <translation>排队开始</translation>
    </message>
    <message>
        <source>Export CSV (Ctrl+E)</source>
        <translation>导出 CSV (Ctrl+E)</translation>
    </message>
    <message>
        <source>Store manager user name</source>
        <translation>店长用户名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Today&apos;s figures from the server</source>
        <translation>从服务器读取今日数据</translation>
    </message>
    <message>
        <source>No snapshot yet: this till has not synced with the server.</source>
        <translation>暂无快照：本收银台尚未与服务器同步。</translation>
    </message>
    <message>
        <source>Queue %1 · snapshot version %2 · pulled %3</source>
        <translation>队列 %1 · 快照版本 %2 · 获取于 %3</translation>
    </message>
    <message>
        <source>Waiting entries: %1 · outstanding total: %2</source>
        <translation>排队中：%1 条 · 待返总额：%2</translation>
    </message>
    <message>
        <source>(list shortened by the server)</source>
        <translation>（列表已由服务器截断）</translation>
    </message>
    <message>
        <source>Today&apos;s contributions from this till (estimate, computed locally): %1</source>
        <translation>本收银台今日提取（本地估算）：%1</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>正在读取…</translation>
    </message>
    <message>
        <source>Today %1 (server): %2 sales, %3 · contributions %4 · paid out %5 · kept by the store %6</source>
        <translation>今日 %1（服务器）：%2 笔，%3 · 提取 %4 · 已返 %5 · 商家留存 %6</translation>
    </message>
    <message>
        <source>Saved to %1</source>
        <translation>已保存到 %1</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>未保存：%1</translation>
    </message>
</context>
<context>
    <name>Receipt</name>
    <message>
        <source>Receipt no.</source>
        <translation>小票号</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Till</source>
        <translation>收银台</translation>
    </message>
    <message>
        <source>Member</source>
        <translation>会员</translation>
    </message>
    <message>
        <source>Walk-in</source>
        <translation>散客</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Points deduction</source>
        <translation>积分抵扣</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>实付</translation>
    </message>
    <message>
        <source>Tender</source>
        <translation>支付方式</translation>
    </message>
    <message>
        <source>Wallet: %1</source>
        <translation>钱包支付：%1</translation>
    </message>
    <message>
        <source>Rebate balance left</source>
        <translation>返利余额剩余</translation>
    </message>
    <message>
        <source>Order</source>
        <translation>订单</translation>
    </message>
    <message>
        <source>Thank you!</source>
        <translation>谢谢惠顾！</translation>
    </message>
    <message>
        <source>Cashier</source>
        <translation>收银点</translation>
    </message>
    <message>
        <source>Queue position pending sync</source>
        <translation>排队位置待同步</translation>
    </message>
    <message>
        <source>Queue position: No. %1</source>
        <translation>排队位置：第 %1 位</translation>
    </message>
    <message>
        <source>Queue entry: %1</source>
        <translation>排队权益：%1</translation>
    </message>
    <message>
        <source>Scan for your order and your queue rebate</source>
        <translation>扫码查看订单和排队返利</translation>
    </message>
    <message>
        <source>Scan to see your order</source>
        <translation>扫码查看订单</translation>
    </message>
</context>
<context>
    <name>RefundDialog</name>
    <message>
        <source>Refund (F2)</source>
        <translation>退款 (F2)</translation>
    </message>
    <message>
        <source>Receipt number or order id, then Enter</source>
        <translation>小票号或订单号，然后按 Enter</translation>
    </message>
    <message>
        <source>Sale</source>
        <translation>销售</translation>
    </message>
    <message>
        <source>Refund amount (yuan)</source>
        <translation>退款金额（元）</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Manager PIN</source>
        <translation>店长密码</translation>
    </message>
    <message>
        <source>A sale of another till: asking the server about this order…</source>
        <translation>其他收银台的订单：正在向总部查询…</translation>
    </message>
    <message>
        <source>Sale %1 at %2: paid %3 by %4, refundable %5</source>
        <translation>第 %1 单（%2）：实付 %3（%4），可退 %5</translation>
    </message>
    <message>
        <source> · of which %1 from the member&apos;s balance: a refund gives back the other tenders first, what exceeds them goes back to the balance (%2 of this refund)</source>
        <translation>（其中返利余额支付 %1：退款先退其他付款方式，超出部分退回会员返利余额，本次退回余额 %2）</translation>
    </message>
    <message>
        <source>Sale of another till at %1: paid %2, refundable %3</source>
        <translation>其他收银台的订单，%1：实付 %2，可退 %3</translation>
    </message>
    <message>
        <source>Another till&apos;s sale, not checked (offline): the refund will be TO BE CONFIRMED (F7).</source>
        <translation>其他收银台的订单，无法核对（离线）：退款将记为待确认（F7）。</translation>
    </message>
    <message>
        <source>Check the order id; nothing refunded.</source>
        <translation>请核对订单号；未退款。</translation>
    </message>
    <message>
        <source>Type the manager PIN, then Enter.</source>
        <translation>请输入店长密码，然后按回车。</translation>
    </message>
</context>
<context>
    <name>RegisterDialog</name>
    <message>
        <source>Register a member (F3)</source>
        <translation>注册会员 (F3)</translation>
    </message>
    <message>
        <source>11-digit mobile number</source>
        <translation>11 位手机号</translation>
    </message>
    <message>
        <source>Ask the customer&apos;s consent. The number is sent to headquarters; the till shows only its last four digits.</source>
        <translation>请先征得顾客同意。手机号将发送至总部；收银台只显示后四位。</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>手机号</translation>
    </message>
</context>
<context>
    <name>SaleLinesTable</name>
    <message>
        <source>Item</source>
        <translation>商品</translation>
    </message>
    <message>
        <source>Qty</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>Price</source>
        <translation>单价</translation>
    </message>
    <message>
        <source>Discount</source>
        <translation>优惠</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Remove line</source>
        <translation>删除此行</translation>
    </message>
    <message>
        <source>Scan into the amount field · F5 price lookup · F10 park · F12 recall</source>
        <translation>在金额栏扫码 · F5 查价 · F10 挂单 · F12 取单</translation>
    </message>
    <message>
        <source>Quantity</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>Line discount (yuan)</source>
        <translation>单品优惠（元）</translation>
    </message>
    <message>
        <source>%1 (no rebate)</source>
        <translation>%1（不参与返利）</translation>
    </message>
    <message>
        <source>Items: %1</source>
        <translation>商品合计：%1</translation>
    </message>
</context>
<context>
    <name>SalePinDialog</name>
    <message>
        <source>Manager PIN</source>
        <translation>店长密码</translation>
    </message>
    <message>
        <source>A sale of %1 is above this store&apos;s confirm amount. Manager PIN:</source>
        <translation>这笔 %1 的收款超过了本店需确认的金额。请输入店长密码：</translation>
    </message>
</context>
<context>
    <name>ShiftReportDialog</name>
    <message>
        <source>Shift report (F4)</source>
        <translation>班次报表 (F4)</translation>
    </message>
    <message>
        <source>Manager PIN</source>
        <translation>店长密码</translation>
    </message>
    <message>
        <source>Close shift (Z report)</source>
        <translation>交班（Z 报表）</translation>
    </message>
    <message>
        <source>Over</source>
        <translation>长款</translation>
    </message>
    <message>
        <source>Short</source>
        <translation>短款</translation>
    </message>
    <message>
        <source>Over/short</source>
        <translation>长短款</translation>
    </message>
    <message>
        <source>Z report — shift closed</source>
        <translation>Z 报表 — 已交班</translation>
    </message>
    <message>
        <source>X report — shift so far</source>
        <translation>X 报表 — 本班至今</translation>
    </message>
    <message>
        <source>Shift</source>
        <translation>班次</translation>
    </message>
    <message>
        <source>Opening float (yuan)</source>
        <translation>备用金（元）</translation>
    </message>
    <message>
        <source>Set opening float</source>
        <translation>设置备用金</translation>
    </message>
    <message>
        <source>Cash counted in the drawer (yuan)</source>
        <translation>钱箱清点现金（元）</translation>
    </message>
    <message>
        <source>Yes, close the shift</source>
        <translation>确认交班</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Show / print again</source>
        <translation>查看 / 重新打印</translation>
    </message>
    <message>
        <source>Past Z reports</source>
        <translation>历史 Z 报表</translation>
    </message>
    <message>
        <source>Shift %1 · closed %2</source>
        <translation>班次 %1 · 结束于 %2</translation>
    </message>
    <message>
        <source>Sales</source>
        <translation>销售笔数</translation>
    </message>
    <message>
        <source>Member sales</source>
        <translation>会员销售</translation>
    </message>
    <message>
        <source>Gross amount</source>
        <translation>销售总额</translation>
    </message>
    <message>
        <source>Points deductions</source>
        <translation>积分抵扣</translation>
    </message>
    <message>
        <source>Money taken</source>
        <translation>实收金额</translation>
    </message>
    <message>
        <source>Refunds</source>
        <translation>退款</translation>
    </message>
    <message>
        <source>Net</source>
        <translation>净额</translation>
    </message>
    <message>
        <source>%1 sales · %2 · refunds %3</source>
        <translation>%1 笔 · %2 · 退款 %3</translation>
    </message>
    <message>
        <source>Opening float</source>
        <translation>备用金</translation>
    </message>
    <message>
        <source>Cash from sales (net of change)</source>
        <translation>销售现金（已扣找零）</translation>
    </message>
    <message>
        <source>Cash refunds</source>
        <translation>现金退款</translation>
    </message>
    <message>
        <source>Expected cash in the drawer</source>
        <translation>钱箱应有现金</translation>
    </message>
    <message>
        <source>Drawer opened without a sale</source>
        <translation>无销售开钱箱次数</translation>
    </message>
    <message>
        <source>Cash counted</source>
        <translation>清点现金</translation>
    </message>
    <message>
        <source>(nobody signed in)</source>
        <translation>（未登录）</translation>
    </message>
    <message>
        <source>Employee %1</source>
        <translation>员工 %1</translation>
    </message>
    <message>
        <source>Rebate contributions (estimate, computed locally at %1)</source>
        <translation>返利提取（本地估算，比例 %1）</translation>
    </message>
    <message>
        <source>Rebate contributions</source>
        <translation>返利提取</translation>
    </message>
    <message>
        <source>store not taking part, or not synced yet</source>
        <translation>门店未参加或尚未同步</translation>
    </message>
    <message>
        <source>Count the cash in the drawer and type it first.</source>
        <translation>请先清点钱箱现金并输入金额。</translation>
    </message>
    <message>
        <source>The manager PIN closes the shift.</source>
        <translation>交班需要店长密码。</translation>
    </message>
    <message>
        <source>Close the shift? Expected cash %1, counted %2: %3 %4. This cannot be undone.</source>
        <translation>确认交班？应有现金 %1，清点 %2：%3 %4。交班后不可撤销。</translation>
    </message>
    <message>
        <source>(copy)</source>
        <translation>（补打）</translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <source>Sign in (F11)</source>
        <translation>登录（F11）</translation>
    </message>
    <message>
        <source>manager</source>
        <translation>店长</translation>
    </message>
    <message>
        <source>cashier</source>
        <translation>收银员</translation>
    </message>
    <message>
        <source>Employee</source>
        <translation>员工</translation>
    </message>
    <message>
        <source>Your PIN</source>
        <translation>您的密码</translation>
    </message>
    <message>
        <source>Wrong PIN.</source>
        <translation>密码错误。</translation>
    </message>
</context>
<context>
    <name>SyncStatusBar</name>
    <message>
        <source>● connecting…</source>
        <translation>● 连接中…</translation>
    </message>
    <message>
        <source>● online</source>
        <translation>● 在线</translation>
    </message>
    <message>
        <source>● refused: %1</source>
        <translation>● 被拒绝：%1</translation>
    </message>
    <message>
        <source>● offline</source>
        <translation>● 离线</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从未</translation>
    </message>
    <message>
        <source>Last sync: %1</source>
        <translation>上次同步：%1</translation>
    </message>
    <message>
        <source>Needs attention: %1 (F7)</source>
        <translation>需处理：%1 (F7)</translation>
    </message>
    <message>
        <source>Checkout point: %1</source>
        <translation>收银台：%1</translation>
    </message>
    <message>
        <source>Waiting to send: %1</source>
        <translation>待发送：%1</translation>
    </message>
</context>
<context>
    <name>TenderPanel</name>
    <message>
        <source>cash received (empty: exact)</source>
        <translation>实收现金（留空：正好）</translation>
    </message>
    <message>
        <source>part paid another way</source>
        <translation>其他方式支付的部分</translation>
    </message>
    <message>
        <source>Add part</source>
        <translation>添加分笔</translation>
    </message>
    <message>
        <source>Clear parts</source>
        <translation>清除分笔</translation>
    </message>
    <message>
        <source>member&apos;s payment code</source>
        <translation>会员付款码</translation>
    </message>
    <message>
        <source>Pay from wallet</source>
        <translation>钱包支付</translation>
    </message>
    <message>
        <source>Cash received</source>
        <translation>实收现金</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>找零</translation>
    </message>
    <message>
        <source>wallet amount (empty: %1)</source>
        <translation>钱包支付金额（留空：%1）</translation>
    </message>
    <message>
        <source>Split: %1 · rest %2</source>
        <translation>分笔：%1 · 剩余 %2</translation>
    </message>
    <message>
        <source>short %1</source>
        <translation>还差 %1</translation>
    </message>
    <message>
        <source> (received %1, change %2)</source>
        <translation>（实收 %1，找零 %2）</translation>
    </message>
</context>
<context>
    <name>Words</name>
    <message>
        <source>This member code is not genuine (bad signature). Refused.</source>
        <translation>该会员码不是真码（签名无效），已拒绝。</translation>
    </message>
    <message>
        <source>This member code has expired. Ask the member to refresh it.</source>
        <translation>该会员码已过期，请会员刷新后再扫。</translation>
    </message>
    <message>
        <source>This member code is signed by an unknown key. Refused.</source>
        <translation>该会员码的签名密钥未知，已拒绝。</translation>
    </message>
    <message>
        <source>This code is not a member code.</source>
        <translation>这不是会员码。</translation>
    </message>
    <message>
        <source>This code cannot be read.</source>
        <translation>无法识别该码。</translation>
    </message>
    <message>
        <source>Member codes cannot be checked yet: this till has never synced.</source>
        <translation>暂时无法校验会员码：本收银台尚未同步过。</translation>
    </message>
    <message>
        <source>No member with this phone number. Press F3 to register.</source>
        <translation>没有该手机号的会员。按 F3 注册。</translation>
    </message>
    <message>
        <source>Scan a member code or type an 11-digit phone number.</source>
        <translation>请扫描会员码或输入 11 位手机号。</translation>
    </message>
    <message>
        <source>The amount is not valid.</source>
        <translation>金额无效。</translation>
    </message>
    <message>
        <source>The points deduction is larger than the amount.</source>
        <translation>积分抵扣大于金额。</translation>
    </message>
    <message>
        <source>A points deduction needs a member.</source>
        <translation>积分抵扣需要会员。</translation>
    </message>
    <message>
        <source>The refund is larger than what is left of the sale.</source>
        <translation>退款金额超过该单可退金额。</translation>
    </message>
    <message>
        <source>Wrong manager PIN.</source>
        <translation>店长密码错误。</translation>
    </message>
    <message>
        <source>No manager PIN is set on this till.</source>
        <translation>本收银台未设置店长密码。</translation>
    </message>
    <message>
        <source>The PIN is 4 to 12 digits.</source>
        <translation>密码为 4 到 12 位数字。</translation>
    </message>
    <message>
        <source>Not a mainland mobile number (11 digits starting with 1).</source>
        <translation>不是有效的手机号（以 1 开头的 11 位数字）。</translation>
    </message>
    <message>
        <source>This phone number is already a member.</source>
        <translation>该手机号已是会员。</translation>
    </message>
    <message>
        <source>The server does not know this till&apos;s cashier.</source>
        <translation>服务器不认识本收银台所属的收银点。</translation>
    </message>
    <message>
        <source>The server does not know this order.</source>
        <translation>服务器没有该订单。</translation>
    </message>
    <message>
        <source>The order was already refunded.</source>
        <translation>该订单已退款。</translation>
    </message>
    <message>
        <source>The server has this sale with other amounts, cashier or member: check it with headquarters.</source>
        <translation>服务器记录的这笔销售金额、收银员或会员不同：请与总部核对。</translation>
    </message>
    <message>
        <source>The server has more sales to apply than it can take now; the till waits and sends again.</source>
        <translation>服务器待处理的销售过多，暂时无法接收；收银台会等待后重新发送。</translation>
    </message>
    <message>
        <source>The same event was sent twice with different contents.</source>
        <translation>同一事件两次发送的内容不同。</translation>
    </message>
    <message>
        <source>The server found the event invalid.</source>
        <translation>服务器认为该事件无效。</translation>
    </message>
    <message>
        <source>The server cannot be reached.</source>
        <translation>无法连接服务器。</translation>
    </message>
    <message>
        <source>This till has been revoked by headquarters.</source>
        <translation>本收银台已被总部停用。</translation>
    </message>
    <message>
        <source>The enrolment code is not valid.</source>
        <translation>注册码无效。</translation>
    </message>
    <message>
        <source>The enrolment code has expired.</source>
        <translation>注册码已过期。</translation>
    </message>
    <message>
        <source>No sale with this receipt number or order id.</source>
        <translation>没有该小票号或订单号的销售。</translation>
    </message>
    <message>
        <source>The server does not know this till&apos;s store.</source>
        <translation>服务器不认识本收银台所属的门店。</translation>
    </message>
    <message>
        <source>The order has no queue entry.</source>
        <translation>该订单没有排队记录。</translation>
    </message>
    <message>
        <source>The queue entry is no longer waiting.</source>
        <translation>该排队记录已不在排队中。</translation>
    </message>
    <message>
        <source>No lottery is available for this queue entry.</source>
        <translation>该排队记录没有可参加的抽奖。</translation>
    </message>
    <message>
        <source>The lottery result is not one of the lottery&apos;s options.</source>
        <translation>抽奖结果不是该抽奖的选项之一。</translation>
    </message>
    <message>
        <source>The entry cannot be exchanged into that.</source>
        <translation>该排队记录不能兑换成所选项目。</translation>
    </message>
    <message>
        <source>Exchanging queue entries is switched off.</source>
        <translation>排队兑换功能已关闭。</translation>
    </message>
    <message>
        <source>Nothing is left to exchange in this queue entry.</source>
        <translation>该排队记录已没有可兑换的金额。</translation>
    </message>
    <message>
        <source>The settings are not valid.</source>
        <translation>设置无效。</translation>
    </message>
    <message>
        <source>The server refused this registration: the member id is taken (reported to headquarters).</source>
        <translation>服务器拒绝了此次注册：会员编号已被占用（已报告总部）。</translation>
    </message>
    <message>
        <source>This member level is not in the chain&apos;s level catalog.</source>
        <translation>该会员等级不在连锁的会员等级目录中。</translation>
    </message>
    <message>
        <source>This member level is still in use and cannot be removed.</source>
        <translation>该会员等级仍在使用中，不能删除。</translation>
    </message>
    <message>
        <source>The amount is above this store&apos;s limit for one sale: check the amount, or ask headquarters.</source>
        <translation>金额超过本店单笔收款上限：请核对金额，或联系总部。</translation>
    </message>
    <message>
        <source>This queue entry belongs to another member.</source>
        <translation>该排队记录属于其他会员。</translation>
    </message>
    <message>
        <source>The server does not know this member.</source>
        <translation>服务器没有该会员。</translation>
    </message>
    <message>
        <source>The member&apos;s wallet does not have enough for this.</source>
        <translation>会员钱包余额不足。</translation>
    </message>
    <message>
        <source>The member&apos;s payment code is wrong, expired or already used: ask for the current one.</source>
        <translation>会员付款码错误、已过期或已使用，请让会员出示当前付款码。</translation>
    </message>
    <message>
        <source>This voucher cannot be used here (used, expired, held or for another store).</source>
        <translation>这张购物券不能在此使用（已使用、已过期、已被占用或仅限其他门店）。</translation>
    </message>
    <message>
        <source>The wallet hold is unknown or no longer valid: ask for a new one.</source>
        <translation>钱包预授权无效或已失效，请重新授权。</translation>
    </message>
    <message>
        <source>Wallet tenders need the server, which cannot be reached: take another tender.</source>
        <translation>无法连接服务器，不能使用钱包付款，请选择其他付款方式。</translation>
    </message>
    <message>
        <source>Withdrawal is switched off.</source>
        <translation>提现功能未开启。</translation>
    </message>
    <message>
        <source>The amount is below the minimum.</source>
        <translation>金额低于最低限额。</translation>
    </message>
    <message>
        <source>This is over the daily limit.</source>
        <translation>超过每日上限。</translation>
    </message>
    <message>
        <source>The withdrawal was already decided.</source>
        <translation>这笔提现申请已处理。</translation>
    </message>
    <message>
        <source>The server already has a record like this. Tell your manager.</source>
        <translation>服务器上已有同样的记录。请告知店长。</translation>
    </message>
    <message>
        <source>The server does not allow this (for example, a manager of another store).</source>
        <translation>服务器不允许此操作（例如不是本店的店长）。</translation>
    </message>
    <message>
        <source>The server had an error. Sales stay saved on this till; try again shortly.</source>
        <translation>服务器出错。销售记录已保存在本收银台，请稍后再试。</translation>
    </message>
    <message>
        <source>The server found the till&apos;s request invalid. Tell your manager.</source>
        <translation>服务器认为本收银台的请求无效。请告知店长。</translation>
    </message>
    <message>
        <source>The server does not support this request (versions differ?). Tell your manager.</source>
        <translation>服务器不支持此请求（可能是版本不一致）。请告知店长。</translation>
    </message>
    <message>
        <source>The server cannot answer in the form the till asks for. Tell your manager.</source>
        <translation>服务器无法按收银台要求的格式应答。请告知店长。</translation>
    </message>
    <message>
        <source>The server does not have what the till asked for. Check the server address.</source>
        <translation>服务器上没有收银台请求的内容。请检查服务器地址。</translation>
    </message>
    <message>
        <source>The server is busy; the till will try again shortly.</source>
        <translation>服务器繁忙，收银台稍后会自动重试。</translation>
    </message>
    <message>
        <source>The request is too large for the server. Tell your manager.</source>
        <translation>请求内容超出服务器的上限。请告知店长。</translation>
    </message>
    <message>
        <source>The server&apos;s database does not answer; the till will try again shortly.</source>
        <translation>服务器数据库暂时无法访问，收银台稍后会自动重试。</translation>
    </message>
    <message>
        <source>The server does not accept the till&apos;s data format (versions differ?). Tell your manager.</source>
        <translation>服务器不接受收银台的数据格式（可能是版本不一致）。请告知店长。</translation>
    </message>
    <message>
        <source>This till&apos;s version does not match the server&apos;s. Update the cashier app.</source>
        <translation>本收银台的程序版本与服务器不匹配，请更新收银程序。</translation>
    </message>
    <message>
        <source>This member page link has expired; the member gets a new one with the next sale.</source>
        <translation>该会员页链接已过期，会员下次消费时会拿到新链接。</translation>
    </message>
    <message>
        <source>This member page link is not valid.</source>
        <translation>该会员页链接无效。</translation>
    </message>
    <message>
        <source>This member page link no longer works: the till that made it was revoked.</source>
        <translation>该会员页链接已失效：签发它的收银台已被停用。</translation>
    </message>
    <message>
        <source>Too many wrong PINs: locked for 5 minutes.</source>
        <translation>密码错误次数过多：已锁定 5 分钟。</translation>
    </message>
    <message>
        <source>Sign in first (F11): this store sells under each cashier&apos;s PIN.</source>
        <translation>请先登录（F11）：本店每位收银员使用自己的密码收银。</translation>
    </message>
    <message>
        <source>The split payments add up to more than the amount due.</source>
        <translation>分笔付款合计超过应付金额。</translation>
    </message>
    <message>
        <source>The cash received is less than the cash due.</source>
        <translation>实收现金少于应收现金。</translation>
    </message>
    <message>
        <source>This amount is above the store&apos;s confirm amount: the manager&apos;s PIN is needed.</source>
        <translation>金额超过本店需确认的金额：需要店长密码。</translation>
    </message>
    <message>
        <source>The points deduction is more than the member&apos;s points are worth (last sync).</source>
        <translation>积分抵扣超过会员积分可抵的金额（以上次同步为准）。</translation>
    </message>
    <message>
        <source>No product with this barcode in the catalogue: type its price instead.</source>
        <translation>商品目录中没有这个条码：请直接输入金额。</translation>
    </message>
    <message>
        <source>No sale is parked at this till.</source>
        <translation>本收银台没有挂起的订单。</translation>
    </message>
    <message>
        <source>The sale could NOT be saved; nothing was recorded. Try again.</source>
        <translation>本单未能保存，没有任何记录。请重试。</translation>
    </message>
    <message>
        <source>The till&apos;s database could not be read or written; nothing was recorded. Try again.</source>
        <translation>收银台本地数据库无法读写，未记录任何内容。请重试。</translation>
    </message>
    <message>
        <source>The receipt printer cannot be reached (off, unplugged or no network).</source>
        <translation>无法连接小票打印机（未开机、未连接或网络不通）。</translation>
    </message>
    <message>
        <source>The receipt printer does not answer (paper out, cover open or busy).</source>
        <translation>小票打印机无响应（缺纸、纸仓盖未合或正忙）。</translation>
    </message>
    <message>
        <source>The receipt printer setting is not valid (tcp://host:9100, /dev/usb/lp0 or file:///path).</source>
        <translation>小票打印机设置无效（应为 tcp://主机:9100、/dev/usb/lp0 或 file:///路径）。</translation>
    </message>
    <message>
        <source>The receipt printer reported an error.</source>
        <translation>小票打印机报告了错误。</translation>
    </message>
    <message>
        <source>The server refused the request.</source>
        <translation>服务器拒绝了该请求。</translation>
    </message>
    <message>
        <source>The server did not accept the sign-in (this till&apos;s credential, or the manager&apos;s name or password).</source>
        <translation>服务器不接受登录信息（本收银台的凭据，或店长的用户名或密码有误）。</translation>
    </message>
    <message>
        <source>Refused by the server (%1).</source>
        <translation>服务器拒绝（%1）。</translation>
    </message>
    <message>
        <source>Cash</source>
        <translation>现金</translation>
    </message>
    <message>
        <source>WeChat Pay</source>
        <translation>微信支付</translation>
    </message>
    <message>
        <source>Alipay</source>
        <translation>支付宝</translation>
    </message>
    <message>
        <source>Bank card</source>
        <translation>银行卡</translation>
    </message>
    <message>
        <source>Other</source>
        <translation>其他</translation>
    </message>
    <message>
        <source>Rebate balance</source>
        <translation>返利余额</translation>
    </message>
    <message>
        <source>Voucher</source>
        <translation>券</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>积分</translation>
    </message>
    <message>
        <source>waiting</source>
        <translation>排队中</translation>
    </message>
    <message>
        <source>completed</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>exchanged</source>
        <translation>已兑换</translation>
    </message>
    <message>
        <source>expired</source>
        <translation>已过期</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
</context>
</TS>
