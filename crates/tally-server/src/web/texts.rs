//! Every word on the pages, in Vietnamese (the default) and English. Templates read
//! `t.NAME`, so a missing text is a compile error, not a blank on screen. Metric names
//! come from the metrics catalog (`Metric::name_vi` / `name_en`).

use crate::export::Lang;
use tally_core::Role;

macro_rules! texts {
    ($($name:ident: $vi:literal, $en:literal;)*) => {
        /// The words of one language.
        pub struct Texts { $(pub $name: &'static str,)* }

        /// Vietnamese.
        pub static VI: Texts = Texts { $($name: $vi,)* };

        /// English.
        pub static EN: Texts = Texts { $($name: $en,)* };
    };
}

texts! {
    skip: "Bỏ qua, đến nội dung", "Skip to content";
    nav_label: "Điều hướng chính", "Main navigation";
    nav_kpi: "Báo cáo KPI", "KPI report";
    nav_wallboard: "Màn hình sàn", "Wallboard";
    nav_goals: "Thiết lập KPI", "KPI setup";
    nav_users: "Nhân viên", "Users";
    nav_teams: "Nhóm", "Teams";
    nav_tokens: "Khóa API", "API tokens";
    sign_out: "Đăng xuất", "Sign out";
    other_lang: "English", "Tiếng Việt";
    sign_in_title: "Đăng nhập vào Tally", "Sign in to Tally";
    email: "Email", "Email";
    password: "Mật khẩu", "Password";
    sign_in: "Đăng nhập", "Sign in";
    bad_sign_in: "Email hoặc mật khẩu không đúng.", "Wrong email or password.";
    signed_out: "Bạn đã đăng xuất.", "You are signed out.";
    kpi_title: "Báo cáo KPI", "KPI report";
    views_label: "Cách xem", "View";
    view_goal: "Theo mục tiêu", "By goal";
    view_employee: "Theo nhân viên", "By employee";
    view_team: "Theo nhóm", "By team";
    period_label: "Kỳ báo cáo", "Period";
    today: "Hôm nay", "Today";
    this_week: "Tuần này", "This week";
    this_month: "Tháng này", "This month";
    custom_range: "Khoảng ngày", "Custom range";
    from: "Từ ngày", "From";
    to: "Đến ngày", "To";
    show: "Xem", "Show";
    all_employees: "Tất cả nhân viên", "All employees";
    all_teams: "Tất cả nhóm", "All teams";
    employee: "Nhân viên", "Employee";
    team: "Nhóm", "Team";
    goal: "Mục tiêu", "Goal";
    col_name: "Tên", "Name";
    col_metric: "Chỉ tiêu", "Metric";
    col_actual: "Thực tế", "Actual";
    col_target: "Mục tiêu", "Target";
    col_progress: "Tiến độ", "Progress";
    col_completion: "Hoàn thành", "Completion";
    col_grade: "Xếp loại", "Grade";
    col_pace: "Nhịp độ", "Pace";
    col_change: "So với kỳ trước", "vs previous period";
    col_change_year: "So với cùng kỳ năm trước", "vs same period last year";
    no_channel_chosen: "— Chưa rõ —", "— Not known —";
    channel_of_customer_hint: "Mặc định là kênh của khách hàng.", "The customer's channel unless you choose another.";
    no_channel: "Chưa rõ kênh", "No channel";
    nav_channels: "Theo kênh", "By channel";
    channels_title: "Doanh số theo kênh", "Sales by channel";
    col_customers_new: "Khách hàng mới", "New customers";
    col_opportunities_new: "Cơ hội mới", "New opportunities";
    col_won: "Thắng", "Won";
    col_lost: "Thua", "Lost";
    col_win_rate: "Tỷ lệ thắng", "Win rate";
    col_revenue: "Doanh số", "Revenue";
    col_average_deal: "Giá trị TB", "Average deal";
    total_row: "Tổng", "Total";
    win_rate_hint: "Tỷ lệ thắng = số cơ hội thắng ÷ (thắng + thua) trong kỳ; giá trị TB = doanh số ÷ số cơ hội thắng. Mỗi khách hàng, cơ hội được tính cho kênh và người phụ trách hiện tại.", "Win rate = opportunities won ÷ (won + lost) in the range; average deal = revenue ÷ won. Each customer and opportunity counts for its current channel and owner.";
    revenue_by_channel: "Doanh số và số cơ hội thắng theo kênh", "Revenue and won opportunities by channel";
    nav_channels_admin: "Danh sách kênh", "Channel list";
    col_revenue_change: "Doanh số so với kỳ trước", "Revenue vs previous period";
    col_revenue_change_year: "Doanh số so với cùng kỳ năm trước", "Revenue vs same period last year";
    channels_admin_title: "Kênh bán hàng", "Sales channels";
    channel_in_use: "Đang dùng", "In use";
    channel_retired_hint: "Kênh ngừng dùng không còn trong các biểu mẫu; số liệu cũ vẫn giữ nguyên.", "A retired channel leaves the forms; its figures stay.";
    channel_lines: "Đầu số / hàng đợi", "Phone lines / queues";
    channel_lines_hint: "Số khách gọi đến (đầu số) hoặc tên hàng đợi của tổng đài, cách nhau bằng dấu phẩy: cuộc gọi đến qua đó được ghi là đến từ kênh này khi nhập lịch sử cuộc gọi.", "Numbers customers call or the PBX's queue names, separated by commas: inbound calls that come through them are marked as coming from the channel when calls are imported.";
    new_channel: "Thêm kênh", "Add channel";
    nav_metrics_admin: "Tiêu chí KPI", "KPI criteria";
    metrics_admin_title: "Tiêu chí KPI riêng", "Your own KPI criteria";
    metrics_admin_hint: "Tiêu chí riêng được tính từ các sự kiện Tally đã nhận, kể cả lịch sử trước khi tạo; đọc trong báo cáo API bằng mã của nó (metrics=mã).", "A criterion of your own is counted from the events Tally receives, its history included; read it in the API's reports by its key (metrics=key).";
    metric_names: "Tên (Việt, Anh)", "Names (Vietnamese, English)";
    metric_counts: "Cách tính", "What it counts";
    metric_credited: "Ghi cho", "Credited to";
    credited_actor: "Người thực hiện", "The actor";
    credited_owner: "Người phụ trách hiện tại", "The current owner";
    metric_history: "Lịch sử đã tính", "History counted";
    new_metric: "Thêm tiêu chí", "Add criterion";
    metric_name_vi: "Tên tiếng Việt", "Vietnamese name";
    metric_name_en: "Tên tiếng Anh", "English name";
    metric_of: "Tính trên", "Counted over";
    of_events: "Sự kiện (ghi cho người thực hiện)", "Events (credited to the actor)";
    of_customers: "Khách hàng hiện có (ghi cho người phụ trách)", "Customers as they are now (credited to the owner)";
    of_opportunities: "Cơ hội hiện có (ghi cho người phụ trách)", "Opportunities as they are now (credited to the owner)";
    metric_events: "Loại sự kiện", "Event types";
    metric_aggregate: "Phép tính", "Aggregate";
    agg_count: "Đếm", "Count";
    agg_sum_talk: "Tổng thời gian đàm thoại", "Sum of talk time";
    agg_sum_amount: "Tổng giá trị", "Sum of amounts";
    agg_distinct_customers: "Số khách hàng khác nhau", "Distinct customers";
    agg_distinct_opportunities: "Số cơ hội khác nhau", "Distinct opportunities";
    metric_filters: "Điều kiện", "Filters";
    talk_at_least: "Đàm thoại ít nhất (giây)", "Talk time at least (seconds)";
    delivered: "Gửi thành công", "Delivered";
    channel_name: "Tên kênh", "Channel name";
    position: "Thứ tự", "Order";
    compare_with: "So sánh với", "Compare with";
    same_period_last_year: "cùng kỳ năm trước", "same period last year";
    months_trend: "13 tháng gần nhất", "The last 13 months";
    col_month: "Tháng", "Month";
    pace_on_track: "Đúng tiến độ", "On track";
    pace_at_risk: "Có nguy cơ", "At risk";
    pace_behind: "Chậm", "Behind";
    leaderboard: "Bảng xếp hạng", "Leaderboard";
    score: "Điểm", "Score";
    rank: "Hạng", "Rank";
    trend: "Diễn biến theo ngày", "Day by day";
    download: "Tải về", "Download";
    live: "Trực tiếp", "Live";
    reconnecting: "Đang kết nối lại…", "Reconnecting…";
    as_of: "Số liệu lúc", "Figures as of";
    still_counting: "Đang đếm lịch sử, số liệu chưa đủ", "Still counting the history, figures are partial";
    previous_period: "kỳ trước", "previous period";
    no_rows: "Chưa có mục tiêu nào áp dụng cho lựa chọn này.", "No goal applies to this selection.";
    no_goals: "Chưa có mục tiêu nào.", "No goals yet.";
    goals_title: "Thiết lập KPI", "KPI setup";
    new_goal: "Tạo mục tiêu", "New goal";
    edit_goal: "Sửa mục tiêu", "Edit goal";
    edit: "Sửa", "Edit";
    archive: "Lưu trữ", "Archive";
    archived: "Đã lưu trữ", "Archived";
    active: "Đang áp dụng", "Active";
    status: "Trạng thái", "Status";
    goal_name: "Tên mục tiêu", "Goal name";
    starts_on: "Bắt đầu", "Starts on";
    ends_on: "Kết thúc", "Ends on";
    criteria: "Tiêu chí", "Criteria";
    criteria_hint: "Để trống những dòng không dùng. Trọng số: điền hết (tổng bằng 100) hoặc bỏ trống hết để chia đều.", "Leave unused rows empty. Weights: give all of them (summing to 100) or none for an even split.";
    per: "Tính theo", "Per";
    weight: "Trọng số (%)", "Weight (%)";
    assignees: "Áp dụng cho", "Assigned to";
    per_day: "Ngày", "Day";
    per_week: "Tuần", "Week";
    per_month: "Tháng", "Month";
    each_member: "từng thành viên", "each member";
    team_total: "tổng cả nhóm", "team total";
    not_assigned: "không áp dụng", "not assigned";
    save: "Lưu", "Save";
    cancel: "Hủy", "Cancel";
    fix_errors: "Chưa lưu: vui lòng sửa các lỗi được đánh dấu.", "Not saved: please fix the marked errors.";
    saved: "Đã lưu.", "Saved.";
    users_title: "Nhân viên", "Users";
    new_user: "Thêm nhân viên", "Add a user";
    edit_user: "Sửa nhân viên", "Edit user";
    id: "Mã", "ID";
    id_hint: "Để trống để tự tạo", "Leave empty to generate one";
    name: "Họ tên", "Name";
    role: "Vai trò", "Role";
    extensions: "Số máy lẻ", "Extensions";
    extensions_hint: "Cách nhau bởi dấu phẩy, ví dụ 201, 202", "Separated by commas, such as 201, 202";
    is_active: "Đang làm việc", "Active";
    new_password: "Mật khẩu mới", "New password";
    password_hint: "Ít nhất 8 ký tự. Để trống: giữ nguyên.", "At least 8 characters. Empty: unchanged.";
    first_password_hint: "Ít nhất 8 ký tự. Để trống: người này chưa đăng nhập được.", "At least 8 characters. Empty: they cannot sign in yet.";
    yes: "Có", "Yes";
    no: "Không", "No";
    role_owner: "Chủ sở hữu", "Owner";
    role_admin: "Quản trị", "Admin";
    role_supervisor: "Giám sát", "Supervisor";
    role_agent: "Nhân viên kinh doanh", "Agent";
    teams_title: "Nhóm", "Teams";
    new_team: "Tạo nhóm", "New team";
    team_name: "Tên nhóm", "Team name";
    members: "Thành viên", "Members";
    add_member: "Thêm thành viên", "Add a member";
    member_dates_hint: "Đến ngày để trống: vẫn là thành viên. Để kết thúc, thêm lại với cùng ngày bắt đầu và một ngày kết thúc.", "An empty end: still a member. To end a membership, add it again with the same start and an end date.";
    supervisors: "Người giám sát", "Supervisors";
    add_supervisor: "Thêm người giám sát", "Add a supervisor";
    remove: "Gỡ", "Remove";
    still_member: "nay", "now";
    tokens_title: "Khóa API", "API tokens";
    tokens_intro: "Khóa API cho tổng đài, công cụ khác và màn hình sàn. Chỉ lưu bản băm của khóa.", "Tokens for the phone system, other tools and wallboards. Only a hash of each token is kept.";
    new_token: "Tạo khóa", "New token";
    acts_for: "Thay mặt nhân viên", "Acts for user";
    nobody: "(không ai)", "(nobody)";
    created: "Ngày tạo", "Created";
    revoke: "Thu hồi", "Revoke";
    revoked: "Đã thu hồi", "Revoked";
    token_once: "Sao chép khóa này ngay: nó chỉ hiện một lần.", "Copy this token now: it is shown only once.";
    forbidden: "Bạn không có quyền mở trang này.", "You may not open this page.";
    error_title: "Có lỗi xảy ra", "Something went wrong";
    back: "Quay lại", "Back";
    wallboard_title: "Bảng xếp hạng", "Leaderboard";
    nav_screens: "Màn hình TV", "TV links";
    nav_notifications: "Thông báo", "Notifications";
    nav_webhooks: "Webhook", "Webhooks";
    email_kinds: "Gửi email cho tôi khi có", "Email me about";
    mail_off: "Máy chủ này chưa cài đặt gửi email (SMTP): lựa chọn được lưu và sẽ dùng khi có.", "This server has no email (SMTP) settings yet: your choice is kept for when it has.";
    webhooks_intro: "Gửi thông báo tới hệ thống khác (Zalo OA, Slack, Teams, CRM…) qua một địa chỉ HTTP. Mỗi lần gửi là JSON, ký bằng HMAC-SHA256 trong tiêu đề X-Tally-Signature; gửi lại khi lỗi, tự tạm dừng sau 5 lần lỗi liên tiếp.", "Send notifications to other systems (Zalo OA, Slack, Teams, a CRM…) at an HTTP address. Each delivery is JSON signed with HMAC-SHA256 in the X-Tally-Signature header; failures are retried, and the webhook pauses after 5 failures in a row.";
    webhook_once: "Sao chép khóa ký này ngay: nó chỉ hiện một lần. Bên nhận kiểm tra X-Tally-Signature = sha256=HMAC-SHA256(khóa, nội dung).", "Copy this signing secret now: it is shown only once. The receiver checks X-Tally-Signature = sha256=HMAC-SHA256(secret, body).";
    new_webhook: "Thêm webhook", "New webhook";
    webhook_kinds: "Loại thông báo", "Kinds of notification";
    kind_milestone: "Đạt mốc", "Milestone reached";
    kind_period_result: "Kết quả kỳ", "Period result";
    kind_pace: "Chậm tiến độ", "Falling behind";
    kind_leader: "Dẫn đầu", "New leader";
    kind_top_three: "Vào top 3", "Top three";
    digest_choice: "Bản tổng hợp mỗi sáng: kết quả hôm qua của những người và nhóm tôi xem được", "A digest each morning: yesterday's results of the people and teams I see";
    digest_time_label: "Giờ gửi bản tổng hợp", "Digest time";
    digest_subject: "Tally: kết quả ngày", "Tally: results of";
    digest_intro: "Kết quả KPI của những người và nhóm bạn xem được.", "The KPI results of the people and teams you see.";
    digest_footer: "Bạn nhận email này vì đã chọn bản tổng hợp mỗi sáng trong Tally (Thông báo → Email).", "You receive this email because you chose the morning digest in Tally (Notifications → Email).";
    open_in_tally: "Mở trong Tally", "Open in Tally";
    paused: "Tạm dừng", "Paused";
    running: "Đang chạy", "Active";
    when: "Thời điểm", "When";
    pause: "Tạm dừng", "Pause";
    resume: "Chạy lại", "Resume";
    failures_in_a_row: "Lỗi liên tiếp", "Failures in a row";
    recent_deliveries: "Lần gửi gần đây", "Recent deliveries";
    attempts: "Số lần thử", "Attempts";
    last_error: "Lỗi gần nhất", "Last error";
    unread: "chưa đọc", "unread";
    notices_empty: "Chưa có thông báo. Khi ai đó đạt mốc mục tiêu, kết thúc kỳ, chậm tiến độ hoặc dẫn đầu, thông báo sẽ hiện ở đây.", "No notifications yet. When someone reaches a milestone, a period ends, a pace falls behind or someone takes the lead, it shows here.";
    mark_all_read: "Đánh dấu tất cả đã đọc", "Mark all read";
    notice_settings: "Cài đặt thông báo", "Notification settings";
    milestones_label: "Mốc thông báo (% mục tiêu)", "Milestones (% of the target)";
    pace_check_label: "Giờ kiểm tra tiến độ", "Pace check time";
    notice_settings_hint: "Mỗi thông báo chỉ gửi một lần cho mỗi người, tiêu chí, kỳ và mốc.", "Each notification is sent once per person, criterion, period and milestone.";
    screens_intro: "Đường dẫn cho màn hình treo tường: hiện bảng xếp hạng mà không cần đăng nhập, và không gì khác. Chỉ lưu bản băm của đường dẫn; thu hồi bất cứ lúc nào.", "A link for a screen on the wall: it shows the leaderboard without a sign-in, and nothing else. Only a hash of each link is kept; revoke it at any time.";
    screen_once: "Mở địa chỉ này trên màn hình TV. Sao chép ngay: nó chỉ hiện một lần.", "Open this address on the TV. Copy it now: it is shown only once.";
    new_screen: "Tạo đường dẫn TV", "New TV link";
    screen_name_hint: "Ví dụ: TV sàn tầng 3", "For example: floor 3 TV";
    screen_lang: "Ngôn ngữ hiển thị", "Language shown";
    created_by: "Người tạo", "Created by";
    nav_customers: "Khách hàng", "Customers";
    nav_opportunities: "Cơ hội", "Opportunities";
    nav_todos: "Công việc", "To-dos";
    customers_title: "Khách hàng", "Customers";
    search_customers: "Tìm theo tên, công ty, email hoặc số điện thoại", "Search by name, company, email or phone";
    search: "Tìm", "Search";
    mine: "Của tôi", "Mine";
    everyone: "Tất cả", "Everyone";
    owner: "Phụ trách", "Owner";
    company: "Công ty", "Company";
    phones: "Số điện thoại", "Phones";
    phones_hint: "Nhiều số cách nhau bởi dấu phẩy", "Several numbers separated by commas";
    sort_by: "Sắp xếp", "Sort by";
    sort_name: "Tên", "Name";
    sort_created: "Mới tạo", "Newest";
    sort_updated: "Mới cập nhật", "Recently changed";
    found: "kết quả", "found";
    pages_label: "Các trang", "Pages";
    previous_page: "Trang trước", "Previous";
    next_page: "Trang sau", "Next";
    no_customers: "Không có khách hàng nào.", "No customers.";
    new_customer: "Thêm khách hàng", "Add a customer";
    edit_customer: "Sửa thông tin", "Edit details";
    customer_name: "Tên khách hàng", "Customer name";
    timeline: "Lịch sử", "Timeline";
    no_timeline: "Chưa có hoạt động nào.", "Nothing yet.";
    add_note: "Thêm ghi chú", "Add a note";
    note: "Ghi chú", "Note";
    log_meeting: "Ghi cuộc gặp", "Log a meeting";
    meeting: "Cuộc gặp", "Meeting";
    meeting_title: "Nội dung", "About";
    log_message: "Ghi SMS / email", "Log an SMS or email";
    message: "Tin nhắn", "Message";
    channel: "Kênh", "Channel";
    outcome: "Kết quả", "Outcome";
    sent_delivered: "Đã gửi, đã nhận", "Sent, delivered";
    sent_failed: "Gửi không thành công", "Sent, failed";
    received: "Khách gửi đến", "Received";
    subject: "Tiêu đề", "Subject";
    text: "Nội dung", "Text";
    add_todo: "Thêm công việc", "Add a to-do";
    todo: "Công việc", "To-do";
    todo_title: "Việc cần làm", "What to do";
    due_on: "Hạn", "Due";
    assignee: "Người làm", "Assignee";
    new_opportunity: "Tạo cơ hội", "New opportunity";
    opportunity: "Cơ hội", "Opportunity";
    opportunity_title: "Tên cơ hội", "Title";
    amount: "Giá trị", "Amount";
    opportunities_title: "Cơ hội bán hàng", "Sales opportunities";
    status_open: "Đang mở", "Open";
    status_won: "Thành công", "Won";
    status_lost: "Thất bại", "Lost";
    status_cancelled: "Đã hủy", "Cancelled";
    my_team: "Nhóm của tôi", "My team";
    board: "Bảng", "Board";
    list: "Danh sách", "List";
    customer: "Khách hàng", "Customer";
    todos_title: "Công việc", "To-dos";
    due_today: "Hạn hôm nay", "Due today";
    overdue: "Quá hạn", "Overdue";
    done: "Đã xong", "Done";
    not_done: "Chưa xong", "To do";
    complete: "Xong", "Complete";
    no_todos: "Không có công việc nào.", "No to-dos.";
    held: "đã gặp", "held";
    planned: "dự kiến", "planned";
    nav_calls: "Cuộc gọi", "Calls";
    nav_today: "Hôm nay", "Today";
    customers_hint: "Danh sách gồm 500 khách hàng mới cập nhật nhất; khách hàng khác: tạo cơ hội từ trang của khách hàng.", "The list holds the 500 most recently changed customers; for another, create the opportunity from the customer's page.";
    calls_title: "Nhật ký cuộc gọi", "Call log";
    direction: "Chiều", "Direction";
    inbound: "Gọi vào", "Inbound";
    outbound: "Gọi ra", "Outbound";
    answered: "Nghe máy", "Answered";
    not_answered: "Không nghe", "Not answered";
    any: "Tất cả", "Any";
    talk_time: "Thời gian đàm thoại", "Talk time";
    number: "Số", "Number";
    no_calls: "Không có cuộc gọi nào.", "No calls.";
    kept_aside_title: "Cuộc gọi chờ gán máy lẻ", "Calls kept aside";
    kept_aside_intro: "Những cuộc gọi này đến từ máy lẻ chưa gán cho ai. Gán máy lẻ cho một nhân viên là các cuộc gọi được tính ngay.", "These calls came from extensions nobody has. Give an extension to a person and its calls count at once.";
    extension: "Máy lẻ", "Extension";
    records: "cuộc gọi", "calls";
    belongs_to: "Máy lẻ này là của", "This extension belongs to";
    map: "Gán", "Map";
    upload_title: "Tải lên Master.csv của Asterisk", "Upload Asterisk's Master.csv";
    upload: "Tải lên", "Upload";
    uploading: "Đang tải lên…", "Uploading…";
    counting: "Đang tính…", "Counting…";
    summary_read: "bản ghi đã đọc", "records read";
    summary_counted: "cuộc gọi được tính", "calls counted";
    summary_duplicates: "đã nhập trước đó", "already imported";
    summary_internal: "gọi nội bộ (không tính)", "internal (not counted)";
    summary_other_legs: "chặng thứ hai (tính theo chặng đầu)", "second legs (counted from their first)";
    summary_unmapped: "chờ gán máy lẻ", "kept aside (no mapped extension)";
    summary_rejected: "bị từ chối", "rejected";
    mapped: "Đã gán máy lẻ.", "Extension mapped.";
    recent_calls: "Cuộc gọi gần đây", "Recent calls";
    today_title: "Hôm nay của tôi", "My day";
    my_kpis: "KPI hôm nay", "Today's KPIs";
    all_calls: "Tất cả cuộc gọi", "All calls";
}

/// A language's code (`vi`, `en`), as in `lang=` and `<html lang>`.
pub fn code(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "vi",
        Lang::En => "en",
    }
}

/// A metric's name in a language.
pub fn metric_name(metric: &tally_core::Measure, lang: Lang) -> &str {
    match lang {
        Lang::Vi => metric.name_vi(),
        Lang::En => metric.name_en(),
    }
}

/// The words of a language.
pub fn of(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

impl Texts {
    /// A role's name.
    pub fn role(&self, role: Role) -> &'static str {
        match role {
            Role::Owner => self.role_owner,
            Role::Admin => self.role_admin,
            Role::Supervisor => self.role_supervisor,
            Role::Agent => self.role_agent,
        }
    }

    /// A pace status's name (`on_track`, `at_risk`, `behind`).
    pub fn pace(&self, status: &str) -> &'static str {
        match status {
            "on_track" => self.pace_on_track,
            "at_risk" => self.pace_at_risk,
            _ => self.pace_behind,
        }
    }

    /// An opportunity status's name (`open`, `won`, `lost`, `cancelled`).
    pub fn opportunity_status(&self, status: &str) -> &'static str {
        match status {
            "won" => self.status_won,
            "lost" => self.status_lost,
            "cancelled" => self.status_cancelled,
            _ => self.status_open,
        }
    }

    /// A goal period kind's name (`day`, `week`, `month`).
    pub fn period_kind(&self, kind: &str) -> &'static str {
        match kind {
            "day" => self.per_day,
            "week" => self.per_week,
            _ => self.per_month,
        }
    }
}

/// A field's error as a page shows it: `name: is required` in English; in Vietnamese
/// the field's label and the message in Vietnamese, where the message is one the pages'
/// forms can meet (any other keeps its English words after the Vietnamese label).
pub fn field_error(lang: Lang, field: &str, message: &str) -> String {
    match lang {
        Lang::En => format!("{field}: {message}"),
        Lang::Vi => format!("{}: {}", field_label(field), sentence(lang, message)),
    }
}

/// A field's label on the Vietnamese pages (`phones[1]` is a phone number's).
fn field_label(field: &str) -> &str {
    // A custom metric's filters, each by its own name.
    match field {
        "filters.direction" => return "Chiều gọi",
        "filters.answered" => return "Nghe máy",
        "filters.talk_seconds_at_least" => return "Đàm thoại ít nhất",
        "filters.delivered" => return "Gửi thành công",
        "filters.status" => return "Trạng thái",
        "filters.channel" => return "Kênh",
        _ => {}
    }
    let base = field.split(['[', '.']).next().unwrap_or(field);
    match base {
        "key" => "Mã",
        "name_vi" => "Tên tiếng Việt",
        "name_en" => "Tên tiếng Anh",
        "of" => "Tính trên",
        "events" => "Loại sự kiện",
        "aggregate" | "field" => "Phép tính",
        "filters" => "Điều kiện",
        "name" => "Tên",
        "email" => "Email",
        "phones" => "Số điện thoại",
        "company" => "Công ty",
        "owner_id" => "Phụ trách",
        "assignee_id" => "Người làm",
        "customer_id" => "Khách hàng",
        "title" => "Tiêu đề",
        "subject" => "Tiêu đề",
        "text" => "Nội dung",
        "amount" => "Giá trị",
        "due_on" => "Hạn",
        "at" => "Thời gian",
        "channel" => "Kênh",
        "direction" | "delivered" => "Kết quả",
        "status" => "Trạng thái",
        "password" => "Mật khẩu",
        "role" => "Vai trò",
        "id" => "Mã",
        "user_id" => "Nhân viên",
        "from" => "Từ ngày",
        "to" => "Đến ngày",
        "starts_on" => "Bắt đầu",
        "ends_on" => "Kết thúc",
        "extension" | "extensions" => "Số máy lẻ",
        "lines" => "Đầu số / hàng đợi",
        "criteria" => "Tiêu chí",
        "assignees" => "Áp dụng cho",
        "target" => "Mục tiêu",
        "weight" => "Trọng số",
        "lang" => "Ngôn ngữ",
        "milestones" => "Mốc thông báo",
        "pace_check" => "Giờ kiểm tra tiến độ",
        "digest_time" => "Giờ gửi bản tổng hợp",
        "url" => "Địa chỉ URL",
        "kinds" => "Loại thông báo",
        _ => field,
    }
}

/// A record kind's Vietnamese name.
fn kind_vi(kind: &str) -> &str {
    match kind {
        "customer" => "khách hàng",
        "opportunity" => "cơ hội",
        "todo" => "công việc",
        "note" => "ghi chú",
        "meeting" => "cuộc gặp",
        "message" => "tin nhắn",
        "user" => "nhân viên",
        "team" => "nhóm",
        "goal" => "mục tiêu",
        other => other,
    }
}

/// A message of the services in the page's language. The Vietnamese covers what a
/// person filling in the pages' forms can get wrong; anything else stays as written.
pub fn sentence(lang: Lang, message: &str) -> String {
    if lang == Lang::En {
        return message.to_owned();
    }
    let exact = match message {
        "is required" => Some("chưa được điền"),
        "must be a string" => Some("phải là văn bản"),
        "is not a phone number" => Some("không phải là số điện thoại"),
        "must be vi or en" => Some("phải là tiếng Việt (vi) hoặc tiếng Anh (en)"),
        "must be a date YYYY-MM-DD" => Some("phải là một ngày dd/mm/yyyy"),
        "must be a decimal number ≥ 0 (a string or a number)" => {
            Some("phải là một số không âm, ví dụ 15.000.000")
        }
        "must be a list of at most 10 phone numbers" => Some("tối đa 10 số điện thoại"),
        "an agent logs what happened today; ask a supervisor to log an earlier day" => {
            Some("nhân viên chỉ ghi việc của hôm nay; việc của ngày trước nhờ người giám sát ghi")
        }
        _ => None,
    };
    if let Some(vi) = exact {
        return vi.to_owned();
    }
    if let Some((types, other)) = message
        .strip_prefix("applies to ")
        .and_then(|m| m.split_once(" only, and 'events' has "))
    {
        return format!("chỉ áp dụng cho {types}, mà loại sự kiện có {other}");
    }
    if let Some((line, channel)) = message
        .strip_suffix("' already")
        .and_then(|m| m.split_once(" is a line of the channel '"))
    {
        return format!("{line} đã thuộc kênh '{channel}'");
    }
    if let Some((goal, rest)) = message
        .strip_prefix("goal '")
        .and_then(|m| m.split_once("' has '"))
        && let Some((metric, what)) = rest.split_once("' as a criterion, so ")
    {
        let what = match what {
            "it cannot be removed" => "nên không thể xoá",
            _ => "nên không thể đổi đơn vị",
        };
        return format!("mục tiêu '{goal}' đang dùng chỉ tiêu '{metric}', {what}");
    }
    if let Some(rest) = message.strip_prefix("the metric '")
        && let Some((metric, what)) = rest.split_once("' ")
    {
        match what {
            "was removed while the goal was being saved" => {
                return format!("chỉ tiêu '{metric}' vừa bị xoá trong lúc lưu mục tiêu");
            }
            "changed its unit while the goal was being saved; enter its target again" => {
                return format!(
                    "chỉ tiêu '{metric}' vừa đổi đơn vị trong lúc lưu mục tiêu; hãy nhập lại mức cần đạt"
                );
            }
            _ => {}
        }
    }
    if let Some(line) = message.strip_suffix(" is listed twice") {
        return format!("{line} bị nhập hai lần");
    }
    if message.starts_with("must be an email address") {
        return "phải là một địa chỉ email, ví dụ lan@example.vn".into();
    }
    if let Some(max) = message
        .strip_prefix("must be 1 to ")
        .and_then(|m| m.strip_suffix(" printable characters"))
    {
        return format!("phải có từ 1 đến {max} ký tự");
    }
    if let Some(min) = message
        .strip_prefix("must have at least ")
        .and_then(|m| m.strip_suffix(" characters"))
    {
        return format!("phải có ít nhất {min} ký tự");
    }
    if let Some(typed) = message.strip_suffix(" is not a date in the form YYYY-MM-DD") {
        return format!("{typed} không phải là một ngày dd/mm/yyyy");
    }
    if let Some((what, id)) = message
        .strip_suffix(" does not exist")
        .and_then(|m| m.split_once(" '"))
    {
        return format!("{} '{id} không tồn tại", capitalized(kind_vi(what)));
    }
    if let Some((kind, id)) = message
        .strip_prefix("a ")
        .and_then(|m| m.strip_suffix(" already exists"))
        .and_then(|m| m.split_once(" with id "))
    {
        return format!("đã có {} với mã {id}", kind_vi(kind));
    }
    message.to_owned()
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::{PERSON_COLUMNS, TEAM_COLUMNS};

    #[test]
    fn errors_speak_the_pages_language() {
        assert_eq!(
            field_error(Lang::En, "name", "is required"),
            "name: is required"
        );
        assert_eq!(
            field_error(Lang::Vi, "name", "is required"),
            "Tên: chưa được điền"
        );
        assert_eq!(
            field_error(Lang::Vi, "phones[1]", "is not a phone number"),
            "Số điện thoại: không phải là số điện thoại"
        );
        assert_eq!(
            field_error(
                Lang::Vi,
                "due_on",
                "'30/02' is not a date in the form YYYY-MM-DD"
            ),
            "Hạn: '30/02' không phải là một ngày dd/mm/yyyy"
        );
        assert_eq!(
            field_error(Lang::Vi, "title", "must be 1 to 200 printable characters"),
            "Tiêu đề: phải có từ 1 đến 200 ký tự"
        );
        assert_eq!(
            sentence(Lang::Vi, "customer 'c-1' does not exist"),
            "Khách hàng 'c-1' không tồn tại"
        );
        assert_eq!(
            sentence(Lang::Vi, "a customer with id 'c-1' already exists"),
            "đã có khách hàng với mã 'c-1'"
        );
        assert_eq!(
            sentence(
                Lang::Vi,
                "the metric 'zalo' was removed while the goal was being saved"
            ),
            "chỉ tiêu 'zalo' vừa bị xoá trong lúc lưu mục tiêu"
        );
        assert_eq!(sentence(Lang::Vi, "something new"), "something new");
    }

    /// A column of the exports has the word the page uses for the same thing.
    #[test]
    fn exports_use_the_pages_words() {
        let pairs = |t: &Texts| {
            [
                ("actual", t.col_actual),
                ("target", t.col_target),
                ("completion", t.col_completion),
                ("grade", t.col_grade),
                ("rank", t.rank),
                ("pace/status", t.col_pace),
            ]
        };
        for columns in [PERSON_COLUMNS, TEAM_COLUMNS] {
            for lang in [Lang::Vi, Lang::En] {
                for (key, word) in pairs(of(lang)) {
                    let column = columns.iter().find(|c| c.key == key).unwrap();
                    let header = match lang {
                        Lang::Vi => column.vi,
                        Lang::En => column.en,
                    };
                    assert_eq!(header, word, "{key} in {lang:?}");
                }
            }
        }
    }
}
