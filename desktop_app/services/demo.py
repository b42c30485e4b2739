"""The demo library, built from the seed article about 丰台区 "劳模工匠助企行" at 园博园.

Only people the article names appear. Guide text beyond what the article says is written as
accurate, practical advice and the guides are marked `is_demo` (shown as 演示内容).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from desktop_app.services import catalog as c
from desktop_app.storage.enums import SessionRole, TeamCategory, TeamRole
from desktop_app.storage.store import RecordStore

BEIJING = timezone(timedelta(hours=8))
UNION = "丰台区总工会"

TEAMS = [
    ("综合管理服务队", TeamCategory.MANAGEMENT, "发挥劳模工匠在企业管理方面的经验，服务企业发展。"),
    (
        "专业技术服务1队",
        TeamCategory.TECHNICAL,
        "依托劳模工匠所在行业的专业技术优势，为企业提供技术支持。",
    ),
    (
        "专业技术服务2队",
        TeamCategory.TECHNICAL,
        "汇聚了10名经验丰富的劳模工匠，是助力区域绿化与相关行业发展的“技术智囊团”。"
        "通过现场讲解、实操指导等方式，为企业提供全链条技术支持，切实为行业发展赋能增效。",
    ),
    ("教育培训服务队", TeamCategory.EDUCATION, "组织劳模工匠开展技能培训与经验传授。"),
    ("医疗卫生服务队", TeamCategory.MEDICAL, "由医疗卫生行业的劳模工匠组成，提供健康服务与指导。"),
]
TEAM2_EXPERTISE = ["园林绿地规划建设", "无线通信技术应用", "新材料推广", "档案规范化管理"]

WASP_GUIDE = c.GuideData(
    title="管氏肿腿蜂防治光肩星天牛",
    category="生物防治",
    problem=(
        "光肩星天牛幼虫钻蛀杨、柳、榆、槭等树木的枝干，造成树势衰弱、枝干风折甚至整株死亡。"
        "识别：树干上有新鲜的刻槽和排粪孔，孔外堆积细碎木屑和虫粪；树皮下可见蛀道。"
        "管氏肿腿蜂是天牛幼虫的寄生蜂，雌蜂钻入蛀道，麻痹幼虫并在其体表产卵，"
        "蜂的幼虫取食天牛幼虫，“以虫治虫”，不用化学农药。"
    ),
    season="6月至9月，天牛幼虫处于低龄期时；选晴朗无风、气温25℃以上的上午放蜂。",
    materials=[
        "管氏肿腿蜂（透明指形管包装，由专业机构提供）",
        "保温箱（运输蜂管，避免暴晒）",
        "线手套",
        "梯子（放蜂位置较高时）",
        "标签和记号笔",
        "放蜂记录表",
    ],
    key_points=[
        "以虫治虫：肿腿蜂寄生天牛幼虫，不用化学农药",
        "放蜂选晴天无风、气温25℃以上",
        "蜂管口靠近新鲜排粪孔或枝杈处",
        "放蜂后半个月内不喷化学杀虫剂",
    ],
    safety_notes=[
        "肿腿蜂雌蜂会螫人，操作时戴手套，不要用手直接抓蜂；过敏体质者不要操作。",
        "登梯放蜂时必须有人扶梯，梯子放稳，不要站在最高两级。",
    ],
    common_mistakes=[
        "阴雨天或大风天放蜂，蜂不出管或被吹散。",
        "蜂管在车内或阳光下暴晒，蜂大量死亡。",
        "放蜂后马上喷洒化学农药，把肿腿蜂一起杀死。",
        "蜂管挂得离虫孔太远，蜂找不到寄主。",
    ],
    tags=["光肩星天牛", "管氏肿腿蜂", "以虫治虫", "绿色防控"],
    steps=[
        c.StepData(
            "调查虫情：逐株检查树干，找出有新鲜排粪孔和木屑的受害树，估计每株幼虫数量，做好标记。"
        ),
        c.StepData(
            "确定放蜂量：按蜂与天牛幼虫约3∶1的比例估算每株需要的蜂管数（以当地植保部门的指导为准）。"
        ),
        c.StepData(
            "检查蜂管：从保温箱取出指形管，确认管内肿腿蜂活跃爬动；发现多数不动的蜂管不要使用。"
        ),
        c.StepData(
            "放蜂：拔掉管口棉塞，把指形管口朝上固定在排粪孔附近的树干或枝杈上，让蜂自行爬出寻找天牛幼虫。"
        ),
        c.StepData(
            "记录与回访：记录放蜂日期、地点、株数和蜂量；两到三周后检查排粪孔是否停止排粪，评估防治效果。"
        ),
    ],
    is_demo=True,
)

AFTER_BLOOM_GUIDE = c.GuideData(
    title="花后修剪",
    category="修剪",
    problem=(
        "连翘、丁香、榆叶梅等春季开花的花灌木，花芽长在上一年的枝条上。"
        "花谢后如果不修剪，残花消耗养分、株形散乱，来年开花少；修剪过晚则会剪掉已经形成的花芽。"
    ),
    season="花谢后两周内进行，夏季花灌木在花后及时修剪。",
    materials=["修枝剪", "高枝剪", "手锯（粗枝）", "伤口愈合剂", "手套"],
    key_points=["花后修剪要留3到5个饱满芽", "花谢后两周内修剪", "先疏枯枝、病枝、交叉枝"],
    safety_notes=["修枝剪刃口锋利，剪口不要对着自己和旁人；不用时合上锁扣。"],
    common_mistakes=[
        "秋冬季重剪春花灌木，把花芽剪掉，第二年不开花。",
        "只剪残花不短截，枝条越长越高，下部光秃。",
        "留芽太少或剪在瘪芽上方，萌发无力。",
    ],
    tags=["花灌木", "夏季修剪", "连翘", "丁香"],
    steps=[
        c.StepData("观察株形：花谢后先看整株，确定要保留的主枝和要疏除的枝条。"),
        c.StepData("疏枝：从基部剪去枯枝、病虫枝、交叉枝和过密枝，让内膛通风透光。"),
        c.StepData(
            "短截开过花的枝条：在枝条基部向上数，留3到5个饱满芽，在最上面一个芽的上方约1厘米处剪断。"
        ),
        c.StepData("调整株形：保持自然株形，外围枝条高低错落，不要剪成一样高的“平头”。"),
        c.StepData("清理：较大的剪口涂抹愈合剂，把剪下的枝条和残花清出绿地。"),
    ],
    is_demo=True,
)

ROSE_GUIDE = c.GuideData(
    title="月季修剪",
    category="修剪",
    problem=(
        "月季枝条多、生长快，病弱枝和枯枝多了会滋生病虫害、开花变小。"
        "修剪的目的是剪去病弱枝，保留健壮枝，让养分集中、通风透光，花开得多而大。"
    ),
    season="冬季休眠期（落叶后至萌芽前）重剪；生长季每次花后剪残花。",
    materials=["修枝剪（剪口锋利、干净）", "厚手套（防刺）", "消毒酒精", "伤口愈合剂"],
    key_points=["剪去病弱枝，保留健壮枝", "切口要斜向45度", "剪在外向芽上方0.5到1厘米"],
    safety_notes=[
        "月季枝条有刺，戴厚手套、穿长袖操作。",
        "剪过病枝的剪刀用酒精擦拭后再剪健康枝条。",
    ],
    common_mistakes=[
        "切口剪平，雨水积在切口上导致腐烂。",
        "剪在内向芽上方，新枝向株丛内生长，内膛拥挤。",
        "留下病枝、弱枝舍不得剪，病害越来越重。",
    ],
    tags=["月季", "花灌木"],
    steps=[
        c.StepData("观察：找出病枝、弱枝（比铅笔细的枝条）、枯枝和向内生长的枝条。"),
        c.StepData("剪去病弱枝：从基部剪去病枝、弱枝和枯枝，病枝带出园外集中处理。"),
        c.StepData("保留健壮枝：每株保留3到5根分布均匀、健壮的主枝。"),
        c.StepData(
            "短截：在外向芽上方0.5到1厘米处下剪，切口要斜向45度，高的一侧在芽的一边，避免积水。"
        ),
        c.StepData(
            "花后剪残花：生长季花谢后，在残花下方第一或第二片五小叶的上方剪去残花，促发新枝再开花。"
        ),
    ],
    is_demo=True,
)

PRUNUS_GUIDE = c.GuideData(
    title="榆叶梅修剪",
    category="修剪",
    problem=(
        "榆叶梅早春先花后叶，花芽着生在上一年的枝条上。不修剪时枝条逐年外移、内膛空虚，开花部位上移，花量减少。"
    ),
    season="花谢后立即修剪；夏季对旺长枝摘心；冬季只疏除枯枝和病虫枝。",
    materials=["修枝剪", "手锯", "伤口愈合剂", "手套"],
    key_points=["花谢后立即修剪", "开花枝留3到5个饱满芽短截", "保持自然开心形，内膛通风透光"],
    safety_notes=["使用手锯时另一只手远离锯路；高处枝条用高枝剪，不要攀爬树枝。"],
    common_mistakes=["冬季重剪，剪掉花芽。", "只剪外围不疏内膛，株丛越来越密。"],
    tags=["榆叶梅", "花灌木", "花后修剪"],
    steps=[
        c.StepData("花谢后对开过花的枝条短截，每枝留3到5个饱满芽。"),
        c.StepData("疏除过密枝、交叉枝、枯枝和病虫枝，保持自然开心形。"),
        c.StepData("夏季对生长过旺的新枝摘心，促进形成花芽。"),
        c.StepData("剪口平滑，较大剪口涂抹愈合剂。"),
    ],
    is_demo=True,
)


def fill_demo(library: RecordStore) -> None:
    """Add the demo records to an (empty) library."""
    zhou = c.save_member(
        library,
        c.MemberData(
            name="周宗宝",
            honours=[c.Honour("北京市先进工作者")],
            specialty="园林绿化养护、花灌木修剪",
        ),
    )
    li = c.save_member(
        library,
        c.MemberData(
            name="李佳",
            honours=[c.Honour("首都劳动奖章获得者")],
            specialty="园林绿化养护",
        ),
    )
    team_ids: dict[str, str] = {}
    for name, category, description in TEAMS:
        is_team2 = name == "专业技术服务2队"
        team_ids[name] = c.save_team(
            library,
            c.TeamData(
                name=name,
                category=category.value,
                parent_union=UNION,
                description=description,
                expertise=TEAM2_EXPERTISE if is_team2 else [],
                member_count_note="10名劳模工匠" if is_team2 else "",
                members=(
                    [
                        c.Membership(zhou, TeamRole.MEMBER.value),
                        c.Membership(li, TeamRole.MEMBER.value),
                    ]
                    if is_team2
                    else []
                ),
            ),
        )
    team2 = team_ids["专业技术服务2队"]
    guide_ids = []
    for guide, authors in (
        (WASP_GUIDE, []),
        (AFTER_BLOOM_GUIDE, [zhou]),
        (ROSE_GUIDE, [zhou, li]),
        (PRUNUS_GUIDE, [zhou, li]),
    ):
        guide.team_id = team2
        guide.author_ids = authors
        guide_ids.append(c.save_guide(library, guide))
    c.save_session(
        library,
        c.SessionData(
            starts_at=datetime(2025, 8, 15, 9, 30, tzinfo=BEIJING),
            ends_at=datetime(2025, 8, 15, 11, 30, tzinfo=BEIJING),
            time_zone="Asia/Shanghai",  # 园博园, Beijing: whatever the laptop's clock says
            theme="绿色养护提质增效",
            venue="园博园",
            host_organisations=[UNION, "园博园"],
            summary=(
                "丰台区“劳模工匠助企行”活动走进园博园。活动紧扣生物防治与科学修剪两大核心，"
                "劳模工匠们手把手传授绝技，将“以虫治虫”等实用技术从理论落地到实操。"
                "（活动日期为演示数据。）"
            ),
            follow_ups=["两到三周后回访放蜂树木，检查排粪孔和寄生情况（演示内容）。"],
            team_ids=[team2],
            attendees=[
                c.AttendeeData(zhou, SessionRole.LECTURE.value, "讲解花后修剪和月季修剪要点"),
                c.AttendeeData(li, SessionRole.DEMONSTRATE.value, "现场示范修剪并即时点评"),
            ],
            groups=[
                c.GroupData("劳模工匠代表"),
                c.GroupData("高校教授团队"),
                c.GroupData("绿化公司养护人员"),
                c.GroupData("北京农业职业学院团队"),
            ],
            agenda=[
                c.AgendaData(
                    "管氏肿腿蜂防治光肩星天牛的原理与操作方法讲解", leader="专业技术服务2队"
                ),
                c.AgendaData("分组实操：规范释放管氏肿腿蜂", leader="劳模工匠现场指导"),
                c.AgendaData("河堤路旁树木修剪指导", leader="周宗宝讲解，李佳示范"),
                c.AgendaData("交流总结"),
            ],
            guide_ids=guide_ids,
            feedback=[
                c.FeedbackData(
                    "之前经常发愁光肩星天牛治不干净，现在总算弄懂了用管氏肿腿蜂“以虫治虫”的门道，"
                    "又学习了榆叶梅、月季的修剪技巧，这些实用技术回去后马上就能用在苗圃里。",
                    speaker="张志峰",
                    speaker_role="学员代表",
                )
            ],
        ),
    )
