// Word lists the demo generator draws from: Chinese cities (with province, area code and
// districts), company name parts (with the pinyin their e-mail domains use), materials, people.
// Fixed data; the order of each list is part of the generator's determinism.
#pragma once

#include <string>
#include <vector>

namespace concord::demo {

struct CityInfo {
  std::string name, province, area_code;
  std::vector<std::string> districts;
};
struct Brand {
  std::string hanzi, pinyin;
};
struct Material {
  std::string name, unit;
  std::vector<std::string> specs;
  int min_price, max_price;  // yuan
};

inline const std::vector<CityInfo>& Cities() {
  static const std::vector<CityInfo> k = {
      {"上海", "", "021", {"浦东新区", "闵行区", "徐汇区", "嘉定区", "松江区"}},
      {"北京", "", "010", {"朝阳区", "海淀区", "丰台区", "大兴区"}},
      {"广州", "广东省", "020", {"天河区", "黄埔区", "番禺区", "白云区"}},
      {"深圳", "广东省", "0755", {"南山区", "宝安区", "龙岗区", "福田区"}},
      {"杭州", "浙江省", "0571", {"西湖区", "滨江区", "余杭区", "萧山区"}},
      {"南京", "江苏省", "025", {"江宁区", "鼓楼区", "浦口区"}},
      {"苏州", "江苏省", "0512", {"工业园区", "吴中区", "相城区"}},
      {"成都", "四川省", "028", {"武侯区", "高新区", "双流区"}},
      {"武汉", "湖北省", "027", {"江汉区", "洪山区", "东西湖区"}},
      {"西安", "陕西省", "029", {"雁塔区", "未央区", "长安区"}},
      {"天津", "", "022", {"滨海新区", "西青区", "河西区"}},
      {"重庆", "", "023", {"渝北区", "江北区", "九龙坡区"}},
      {"青岛", "山东省", "0532", {"黄岛区", "城阳区", "市南区"}},
      {"东莞", "广东省", "0769", {"南城街道", "松山湖", "长安镇"}},
      {"宁波", "浙江省", "0574", {"鄞州区", "北仑区", "江北区"}},
      {"长沙", "湖南省", "0731", {"岳麓区", "雨花区", "开福区"}},
      {"郑州", "河南省", "0371", {"金水区", "中原区", "管城区"}},
      {"合肥", "安徽省", "0551", {"蜀山区", "包河区", "庐阳区"}},
      {"无锡", "江苏省", "0510", {"滨湖区", "新吴区", "梁溪区"}},
      {"佛山", "广东省", "0757", {"南海区", "顺德区", "禅城区"}},
  };
  return k;
}

inline const std::vector<Brand>& Brands() {
  static const std::vector<Brand> k = {
      {"华联", "hualian"}, {"恒通", "hengtong"}, {"瑞丰", "ruifeng"}, {"金桥", "jinqiao"},
      {"宏达", "hongda"},  {"新世纪", "xinshiji"}, {"东方", "dongfang"}, {"长城", "changcheng"},
      {"远大", "yuanda"},  {"鸿运", "hongyun"},  {"德信", "dexin"},   {"天成", "tiancheng"},
      {"永泰", "yongtai"}, {"中科", "zhongke"},  {"海川", "haichuan"}, {"博远", "boyuan"},
      {"嘉禾", "jiahe"},   {"万象", "wanxiang"}, {"同创", "tongchuang"}, {"富源", "fuyuan"},
      {"正泰", "zhengtai"}, {"联信", "lianxin"}, {"华茂", "huamao"},   {"盛达", "shengda"},
      {"汇通", "huitong"}, {"明珠", "mingzhu"},  {"晨光", "chenguang"}, {"锦程", "jincheng"},
      {"国泰", "guotai"},  {"创维", "chuangwei"},
  };
  return k;
}

inline const std::vector<std::string>& IndustriesCn() {
  static const std::vector<std::string> k = {"贸易", "科技", "机械", "电子", "食品", "化工",
                                             "物流", "建材", "医药", "纺织", "汽车配件", "包装",
                                             "新材料", "环保", "精密仪器"};
  return k;
}
inline const std::vector<std::string>& IndustriesEn() {
  static const std::vector<std::string> k = {"Manufacturing", "Wholesale", "Retail",
                                             "Logistics",     "Healthcare", "Construction",
                                             "Electronics",   "Food & Beverage"};
  return k;
}
inline const std::vector<std::string>& CompanySuffixes() {
  static const std::vector<std::string> k = {"有限公司", "股份有限公司", "集团有限公司",
                                             "实业有限公司"};
  return k;
}
inline const std::vector<std::string>& ForeignFirstWords() {
  static const std::vector<std::string> k = {"Pacific", "Nordic",    "Alpine",    "Atlas",
                                             "Summit",  "Harbor",    "Meridian",  "Evergreen",
                                             "Bluewater", "Kowloon", "Lionrock", "Victoria"};
  return k;
}
inline const std::vector<std::string>& ForeignSecondWords() {
  static const std::vector<std::string> k = {"Trading", "Foods", "Electronics", "Logistics",
                                             "Instruments", "Textiles", "Components"};
  return k;
}
inline const std::vector<std::string>& ForeignSuffixes() {
  static const std::vector<std::string> k = {"Ltd", "Limited", "Holdings Ltd", "Co., Ltd"};
  return k;
}
inline const std::vector<std::string>& Roads() {
  static const std::vector<std::string> k = {"人民路", "中山路", "建设路", "解放路", "科技路",
                                             "工业大道", "滨江大道", "长江路", "黄河路",
                                             "创业路", "学院路", "和平路"};
  return k;
}
inline const std::vector<std::string>& MobilePrefixes() {
  static const std::vector<std::string> k = {"130", "131", "132", "133", "135", "136", "137",
                                             "138", "139", "150", "151", "152", "153", "155",
                                             "156", "158", "159", "180", "181", "182", "185",
                                             "186", "187", "188", "189"};
  return k;
}
inline const std::vector<std::string>& EmailLocals() {
  static const std::vector<std::string> k = {"sales", "info", "purchase", "contact", "service",
                                             "finance", "caigou", "office"};
  return k;
}
inline const std::vector<std::string>& EmailDomains() {
  static const std::vector<std::string> k = {".com.cn", ".cn", ".com", ".net.cn"};
  return k;
}
inline const std::vector<std::string>& SalesReps() {
  static const std::vector<std::string> k = {"Li Wei", "Zhang Min", "Wang Fang", "Chen Jie",
                                             "Liu Yang", "Zhao Lei", "Sun Li", "Zhou Tao"};
  return k;
}
inline const std::vector<std::string>& Surnames() {
  static const std::vector<std::string> k = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵",
                                             "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"};
  return k;
}
inline const std::vector<std::string>& GivenNames() {
  static const std::vector<std::string> k = {"伟", "芳", "娜", "敏", "静", "磊", "洋", "勇",
                                             "艳", "杰", "军", "强", "晓明", "建华", "丽娟",
                                             "志强", "海燕", "国庆"};
  return k;
}
inline const std::vector<std::string>& JobTitles() {
  static const std::vector<std::string> k = {"采购经理", "总经理", "财务主管", "技术总监",
                                             "采购专员", "行政经理"};
  return k;
}
inline const std::vector<std::string>& Warehouses() {
  static const std::vector<std::string> k = {"上海一号仓", "苏州仓", "广州南沙仓", "成都仓",
                                             "天津港仓"};
  return k;
}
inline const std::vector<std::string>& TicketSubjects() {
  static const std::vector<std::string> k = {"发货延迟", "发票抬头有误", "产品质量问题",
                                             "要求技术支持", "退换货申请", "账期咨询"};
  return k;
}
inline const std::vector<Material>& Materials() {
  static const std::vector<Material> k = {
      {"不锈钢法兰", "个", {"DN25", "DN50", "DN80", "DN100"}, 18, 260},
      {"六角螺栓", "盒", {"M6×20", "M8×30", "M10×40", "M12×50"}, 12, 90},
      {"深沟球轴承", "套", {"6204", "6205", "6305", "6308"}, 9, 150},
      {"交流接触器", "台", {"CJX2-1810", "CJX2-3210", "CJX2-6511"}, 45, 680},
      {"PVC电缆", "米", {"2×1.5mm²", "3×2.5mm²", "4×6mm²"}, 2, 40},
      {"液压油", "桶", {"46号 18L", "68号 18L", "46号 200L"}, 180, 2600},
      {"瓦楞纸箱", "个", {"三层 40×30×30", "五层 60×40×40"}, 2, 15},
      {"工业传感器", "个", {"PNP 常开", "NPN 常闭", "4-20mA"}, 85, 1200},
      {"铝型材", "根", {"2020 6米", "4040 6米", "4080 6米"}, 35, 420},
      {"变频器", "台", {"0.75kW", "2.2kW", "7.5kW", "15kW"}, 680, 9800},
  };
  return k;
}

}  // namespace concord::demo
