/**
 * A phone's call screen in tabs: the call (tiles, the answer to give, the moves, the
 * chat), the ladder, or the log. Wider screens show everything at once and no tabs.
 */
import { $ } from '../page';
import type { Ui } from './context';

const PHONE = '(max-width: 480px)';
const TABS = ['call', 'ladder', 'log'] as const;

export function mountTabs(ui: Ui): void {
  const { store } = ui;
  const phone = matchMedia(PHONE);
  const buttons = [...$('call-tabs').querySelectorAll<HTMLButtonElement>('button[data-tab]')];
  for (const button of buttons) button.addEventListener('click', () => store.update({ tab: button.dataset.tab as (typeof TABS)[number] }));
  // Arrow keys move between tabs, as a tab list does.
  $('call-tabs').addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
    const at = TABS.indexOf(store.get().tab);
    const next = TABS[(at + (event.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length] ?? 'call';
    store.update({ tab: next });
    $(`tab-${next}`).focus();
    event.preventDefault();
  });
  const render = (): void => {
    const { tab } = store.get();
    const call = $('call');
    for (const name of TABS) call.classList.toggle(`tab-${name}`, name === tab);
    for (const button of buttons) {
      const on = button.dataset.tab === tab;
      button.setAttribute('aria-selected', String(on));
      button.tabIndex = on ? 0 : -1;
    }
    ui.game()?.setView(phone.matches ? (tab === 'ladder' ? 'ladder' : 'call') : 'both');
  };
  store.subscribe(render);
  phone.addEventListener('change', render);
}
