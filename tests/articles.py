"""Articles written for the tests (fiction in the style of news reports; no corpus text)."""

TANF_DRONE = {
    "title": "Drones target US garrison at al-Tanf near Syria's border with Jordan and Iraq",
    "paragraphs": [
        "Two drones were shot down on Tuesday as they approached the al-Tanf garrison in "
        "south-eastern Syria, a coalition spokesman said, adding that no personnel were hurt.",
        "The base sits inside the 55-kilometre deconfliction zone that US forces declared around "
        "the At Tanf border crossing, close to the Rukban camp for displaced Syrians.",
        "Fighters of Maghawir al-Thawra, the Syrian rebel group trained by US special forces at "
        "the outpost, took positions along the perimeter after the attack, a spokesman said.",
        "The coalition said the drones were launched from the Badia desert east of Palmyra and "
        "that it reserved the right to defend its forces in Homs province.",
        "Attacks on the garrison have become more frequent this year, according to officials "
        "who track the security situation along the Iraqi border.",
    ],
}

TANF_FOLLOW_UP = {
    "title": "Pentagon confirms drone interception over al-Tanf base; militia claims attack",
    "paragraphs": [
        "The Pentagon on Wednesday confirmed that two drones were intercepted over the al-Tanf "
        "garrison in Syria a day earlier, and said an Iraqi militia had claimed the attack.",
        "A defence official told reporters that air defences at the At Tanf base engaged the "
        "drones before they reached the 55-km zone's inner perimeter; nobody was injured.",
        "Maghawir al-Thawra commanders said their patrols found debris of one drone south of "
        "the Rukban camp, in the desert near the Jordanian border.",
        "The official added that the coalition would keep its forces in Homs province's "
        "eastern desert and that the base remains central to operations against Islamic State.",
    ],
}

TANF_WELFARE = {
    "title": "State expands TANF cash assistance for refugee families",
    "paragraphs": [
        "The state's Temporary Assistance for Needy Families (TANF) program will raise monthly "
        "cash benefits for eligible households starting in January, officials said.",
        "Refugee families, including many who arrived from Syria and Afghanistan, may qualify "
        "for TANF and for Refugee Cash Assistance during their first months in the country.",
        "Caseworkers at the county welfare office said the change would help needy families "
        "cover rent and child care while parents look for work.",
        "Applicants must meet income limits and work requirements set under the federal block "
        "grant; the department of human services publishes the details online.",
    ],
}

SYRIA_OTHER = {
    "title": "Aid convoy reaches Idlib as winter storms hit camps in north-west Syria",
    "paragraphs": [
        "A United Nations aid convoy carrying blankets and fuel crossed into Idlib province on "
        "Monday as heavy rain and snow flooded tents in camps near the Turkish border.",
        "Local councils said thousands of families were moved to schools and mosques while "
        "rescue teams cleared roads between Sarmada and Atmeh.",
        "Aid agencies warned that funding shortfalls could force them to cut bread subsidies in "
        "the coming months, and appealed to donors for emergency support.",
    ],
}

TANF_SECOND_FOLLOW_UP = {
    "title": "Iraqi militia says its drones targeted al-Tanf; coalition reports no damage",
    "paragraphs": [
        "An Iraqi militia said on Wednesday that it had launched the two drones intercepted over "
        "the al-Tanf garrison, calling the base a legitimate target while US forces stay in Syria.",
        "Coalition officials said the At Tanf base suffered no damage and that air defences "
        "engaged the drones over the Badia desert east of Palmyra.",
        "Maghawir al-Thawra fighters searched the area near the Rukban camp and the Jordanian "
        "border for debris, a commander of the group told a local radio station.",
        "The Pentagon declined to say whether it would strike back at the militia in Iraq.",
    ],
}
