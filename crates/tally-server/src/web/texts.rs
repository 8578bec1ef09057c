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
}

/// A language's code (`vi`, `en`), as in `lang=` and `<html lang>`.
pub fn code(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "vi",
        Lang::En => "en",
    }
}

/// A metric's name in a language.
pub fn metric_name(metric: tally_core::Metric, lang: Lang) -> &'static str {
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

    /// A goal period kind's name (`day`, `week`, `month`).
    pub fn period_kind(&self, kind: &str) -> &'static str {
        match kind {
            "day" => self.per_day,
            "week" => self.per_week,
            _ => self.per_month,
        }
    }
}
